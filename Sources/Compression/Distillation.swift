import Datasets
import Layers
import Optimizers
import TensorCore
import Training

/// Knowledge distillation (Hinton, Vinyals & Dean, 2015): a small student learns from a large
/// teacher's temperature-softened outputs as well as from the labels.
///
/// The loss of one example with student logits s, teacher logits t and label y is
///
///     α T² KL(softmax(t / T) ‖ softmax(s / T)) + (1 - α) CE(s, y)
///
/// (T² keeps the soft term's gradients on the scale of the hard term's as T changes). The
/// defaults, T = 1 and α = 0.5, did best on Fashion-MNIST with a cnn-bn teacher and a 784-50-10
/// student: +0.56 point over the student alone (3 seeds); T = 4, α = 0.9 gained nothing there.
///
/// ```swift
/// let distiller = Distiller(teacher: teacher, student: student, temperature: 1, alpha: 0.5)
/// distiller.fit(images, labels, epochs: 20, optimizer: AdamW(student.trainableParameters))
/// ```
public enum Distillation {
    /// Settings out of range.
    public struct SettingsError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Throws unless `temperature` is finite and > 0 and `alpha` is in [0, 1].
    public static func validate(temperature: Float, alpha: Float) throws {
        guard temperature.isFinite, temperature > 0 else { throw SettingsError(description: "--temperature must be a finite number > 0, got \(temperature)") }
        guard (0...1).contains(alpha) else { throw SettingsError(description: "--alpha must be in [0, 1], got \(alpha)") }
    }

    /// Hinton's loss as a `Loss` for `Model.compile`. Its targets are `[N, 1 + C]`: each row the
    /// label (as a float), then the teacher's C logits (what `targets(teacher:images:labels:)`
    /// makes). Given plain labels `[N]` (validation data) it is the cross-entropy.
    public static func loss(temperature: Float = 1, alpha: Float = 0.5) -> Loss {
        require(temperature.isFinite && temperature > 0 && (0...1).contains(alpha),
                "Distillation.loss: need temperature > 0 and alpha in [0, 1], got \(temperature), \(alpha)")
        let perExample: @Sendable (Tensor, Tensor) -> Tensor = { outputs, targets in
            terms(outputs, targets, temperature: temperature, alpha: alpha)
        }
        return Loss(name: "distillation", perExample: perExample) { perExample($0, $1).mean() }
    }

    /// Each example's loss, shape `[N]`.
    static func terms(_ student: Tensor, _ targets: Tensor, temperature: Float, alpha: Float) -> Tensor {
        guard targets.rank == 2 else { return crossEntropy(logits: student, labels: targets, reduction: .none) }
        let classes = student.shape[1]
        require(targets.shape == [student.shape[0], 1 + classes],
                "Distillation.loss: targets \(targets.shape) should be [N, 1 + \(classes)] (label, teacher logits) for outputs \(student.shape)")
        let labels = Tensor(integers: targets.sliced(along: 1, from: 0, to: 1).integers, dtype: .int32)
        let teacher = targets.sliced(along: 1, from: 1).detached()
        let hard = crossEntropy(logits: student, labels: labels, reduction: .none)
        guard alpha > 0 else { return hard }
        let teacherLog = logSoftmax(teacher / temperature, along: 1)
        let studentLog = logSoftmax(student / temperature, along: 1)
        let kl = (exp(teacherLog) * (teacherLog - studentLog)).sum(along: 1)
        return alpha * temperature * temperature * kl + (1 - alpha) * hard
    }

    /// The targets of `loss`: each image's label beside the teacher's logits for it (in
    /// inference mode, in batches of `batchSize`), shape `[N, 1 + C]`.
    public static func targets(teacher: any Layer, images: Tensor, labels: Tensor, batchSize: Int = 500) -> Tensor {
        require(labels.rank == 1 && labels.shape[0] == images.shape[0], "Distillation.targets: \(labels.shape) labels for \(images.shape[0]) images")
        return targets(labels: labels, logits: Model(teacher).predict(images, batchSize: batchSize))
    }

    /// The targets of `loss` from labels `[N]` and the teacher's logits `[N, C]`: `[N, 1 + C]`.
    static func targets(labels: Tensor, logits: Tensor) -> Tensor {
        Tensor.concat([labels.converted(to: .float32).unsqueezed(at: 1), logits], along: 1)
    }
}

/// Keras's `Distiller`: trains `student` on `teacher`'s softened outputs and the labels through
/// `Model.fit`, the teacher's outputs computed once beforehand (the teacher does not change).
public final class Distiller {
    public let teacher: any Layer, student: any Layer
    public let temperature: Float, alpha: Float
    /// The student's trainer, compiled with `Distillation.loss`.
    public let model: Model

    public init(teacher: any Layer, student: any Layer, temperature: Float = 1, alpha: Float = 0.5) {
        (self.teacher, self.student, self.temperature, self.alpha) = (teacher, student, temperature, alpha)
        model = Model(student)
    }

    /// Trains the student for `epochs` on `images` and `labels` with `optimizer`; callbacks
    /// (a learning-rate schedule) and validation data (plain labels) as in `Model.fit`.
    @discardableResult
    public func fit(
        _ images: Tensor, _ labels: Tensor, epochs: Int, batchSize: Int = 128, optimizer: any Optimizer,
        validationData: (Tensor, Tensor)? = nil, callbacks: [any Callback] = [], seed: UInt64 = 0,
        verbose: Model.Verbosity = .progressBar
    ) -> History {
        let targets = Distillation.targets(teacher: teacher, images: images, labels: labels)
        model.compile(optimizer: optimizer, loss: Distillation.loss(temperature: temperature, alpha: alpha))
        return model.fit(TensorDataset(images, targets), epochs: epochs, batchSize: batchSize, validationData: validationData,
                         callbacks: callbacks, seed: seed, verbose: verbose)
    }

    /// Trains the student on batches drawn from `dataset` (an `AugmentedDataset`: each batch
    /// freshly augmented), the teacher's logits computed for each batch as drawn (Beyer et al.'s
    /// "function matching": the teacher labels every augmented view). Seeded shuffles; the
    /// learning rate follows `schedule` by epoch when given. Returns each epoch's mean loss.
    @discardableResult
    public func fit(_ dataset: any Dataset, epochs: Int, batchSize: Int = 128, optimizer: any Optimizer,
                    schedule: (any LearningRateSchedule)? = nil, seed: UInt64 = 0) -> [Float] {
        require(epochs >= 0 && batchSize > 0 && dataset.count > 0, "Distiller.fit: need epochs >= 0, batchSize > 0 and examples")
        model.compile(optimizer: optimizer, loss: Distillation.loss(temperature: temperature, alpha: alpha))
        var generator = RandomGenerator(seed: seed)
        var losses: [Float] = []
        teacher.eval()
        for epoch in 0..<epochs {
            if let schedule { optimizer.learningRate = schedule.learningRate(at: epoch) }
            student.train()
            let order = Tensor.permutation(dataset.count, using: &generator).integers
            var total: Double = 0
            for start in stride(from: 0, to: order.count, by: batchSize) {
                let (x, labels) = dataset.batch(at: Array(order[start..<Swift.min(start + batchSize, order.count)]))
                // With alpha 0 the loss is the labels' cross-entropy: the teacher is not needed.
                let targets = alpha == 0 ? labels : Distillation.targets(labels: labels, logits: withoutGradients { teacher(x) })
                total += Double(model.trainStep(x, targets).loss) * Double(x.shape[0])
            }
            losses.append(Float(total / Double(order.count)))
        }
        student.eval()
        return losses
    }
}
