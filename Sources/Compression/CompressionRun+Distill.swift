import Datasets
import Foundation
import Layers
import Models
import Optimizers
import TensorCore
import Training

extension Distillation {
    /// The students `deeplearn compress distill --student` builds, each under a tenth of the
    /// cnn-bn's 0.42M parameters: `small-mlp` (784-50-10, 39.8k) and `small-cnn` (Conv 8 and
    /// 16 channels 3x3 with pooling, Dense 32, Dense 10; 26.7k: 26,698).
    public static let studentNames = ["small-mlp", "small-cnn"]

    /// The student `name` (one of `studentNames`). Shape: `[N, 784]` -> `[N, 10]`.
    public static func makeStudent(_ name: String) throws -> Sequential {
        switch name {
        case "small-mlp":
            return Sequential { Linear(784, 50); ReLU(); Linear(50, 10) }
        case "small-cnn":
            return Sequential {
                Reshape([1, 28, 28])
                Conv2D(1, 8, kernelSize: 3, padding: .same); ReLU(); MaxPool2D(2)
                Conv2D(8, 16, kernelSize: 3, padding: .same); ReLU(); MaxPool2D(2)
                Flatten()
                Linear(16 * 7 * 7, 32); ReLU()
                Linear(32, 10)
            }
        default:
            throw CompressionRun.InputError("unknown student '\(name)'; choose one of \(studentNames.joined(separator: ", "))")
        }
    }
}

extension CompressionRun {
    public struct DistillOptions: Sendable {
        public var student: String
        public var temperature: Float = 1, alpha: Float = 0.5
        public var epochs = 20
        public var learningRate: Float = 1e-3, weightDecay: Float = 1e-4
        public var batchSize = 128
        public var seed: UInt64 = 0
        /// Also train the same student from the labels alone (the same recipe, alpha 0).
        public var studentAlone = true
        /// Random flips and crops of 2 pixels, drawn afresh for every batch; the teacher labels
        /// each augmented view (`Distiller.fit(_ dataset:...)`).
        public var augment = false
        public init(student: String) { self.student = student }

        func validate() throws {
            _ = try Distillation.makeStudent(student)
            try Distillation.validate(temperature: temperature, alpha: alpha)
            guard (1...1000).contains(epochs) else { throw InputError("--epochs must be in 1...1000, got \(epochs)") }
            guard learningRate.isFinite, learningRate > 0 else { throw InputError("--learning-rate must be a finite number > 0, got \(learningRate)") }
            guard (1...60_000).contains(batchSize) else { throw InputError("--batch-size must be in 1...60000, got \(batchSize)") }
        }
    }

    /// Distils the classifier in `teacher` into `options.student` on `data` (AdamW with a cosine
    /// decay; augmented batches with `augment`), evaluates both and saves the student to `output`; with
    /// `studentAlone`, trains the same student from the labels alone too, for comparison.
    public static func distill(teacher path: String, options: DistillOptions, data: FashionMNIST, output: String,
                               progress: (String) -> Void = { _ in }) throws -> Result {
        try options.validate()
        let teacher = try ModelZoo.loadCheckpoint(path).network
        teacher.eval()
        let baseline = ModelZoo.testMetrics(teacher, data)["accuracy"]!
        let teacherParameters = teacher.parameterCount(trainableOnly: true)
        progress("teacher \(path): test accuracy \(baseline), \(teacherParameters) trainable parameters")
        // Without augmentation, the teacher's logits once for both runs (it does not change).
        let targets = options.augment ? nil : Distillation.targets(teacher: teacher, images: data.trainImages, labels: data.trainLabels)
        func run(alpha: Float) throws -> (network: Sequential, accuracy: Float, seconds: [Double]) {
            try Random.withSeed(options.seed) {
                let student = try Distillation.makeStudent(options.student)
                let optimizer = AdamW(student.trainableParameters, learningRate: options.learningRate, weightDecay: options.weightDecay)
                let schedule = CosineDecay(initial: options.learningRate, totalSteps: options.epochs)
                var seconds: [Double] = []
                if options.augment {
                    let augmented = AugmentedDataset(TensorDataset(data.trainImages, data.trainLabels), imageShape: (1, 28, 28),
                                                     augmentations: ModelZoo.augmentations, seed: options.seed)
                    let start = ContinuousClock.now
                    let losses = Distiller(teacher: teacher, student: student, temperature: options.temperature, alpha: alpha)
                        .fit(augmented, epochs: options.epochs, batchSize: options.batchSize, optimizer: optimizer, schedule: schedule,
                             seed: options.seed)
                    guard losses.allSatisfy(\.isFinite) else { throw InputError("distillation diverged: the loss is \(losses)") }
                    seconds = [(ContinuousClock.now - start).inSeconds / Double(options.epochs)]
                } else {
                    let model = Model(student)
                    model.compile(optimizer: optimizer, loss: Distillation.loss(temperature: options.temperature, alpha: alpha))
                    model.progressOutput = nil
                    model.fit(TensorDataset(data.trainImages, targets!), epochs: options.epochs, batchSize: options.batchSize,
                              callbacks: [TerminateOnNaN(), LearningRateScheduler(schedule), EpochTimer { seconds.append($0) }],
                              seed: options.seed, verbose: .silent)
                }
                student.eval()
                return (student, ModelZoo.testMetrics(student, data)["accuracy"]!, seconds)
            }
        }
        let distilled = try run(alpha: options.alpha)
        progress("distilled \(options.student): test accuracy \(distilled.accuracy)")
        var report: [String: Any] = [
            "student": options.student, "test_accuracy": distilled.accuracy, "baseline_accuracy": baseline,
            "parameters": distilled.network.parameterCount(trainableOnly: true), "baseline_parameters": teacherParameters,
            "temperature": options.temperature, "alpha": options.alpha, "epochs": options.epochs, "seed": options.seed,
            "epoch_seconds": distilled.seconds, "checkpoint": output, "augment": options.augment,
        ]
        if options.studentAlone {
            let alone = try run(alpha: 0)
            progress("\(options.student) alone: test accuracy \(alone.accuracy)")
            report["student_alone_accuracy"] = alone.accuracy
        }
        try Checkpoint.save(distilled.network, to: output, metadata: [
            "compression": "distillation", "teacher": path, "test_accuracy": String(distilled.accuracy),
            "baseline_accuracy": String(baseline), "student": options.student,
        ], createDirectories: true)
        report["size_bytes"] = try fileSize(output)
        report["baseline_size_bytes"] = try fileSize(path)
        return Result(report: report, network: distilled.network)
    }
}
