import ArgumentParser
import DeepLearning
import Foundation

/// Exits with a one-line message on stderr and a non-zero status.
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data(("deeplearn: " + message + "\n").utf8))
    exit(1)
}

/// The value of `body`, or exit with its error on one line.
func orFail<T>(_ body: () throws -> T) -> T {
    do { return try body() } catch { fail("\(error)") }
}

/// Prints `fields` as one JSON object with sorted keys, or as aligned `key: value` lines.
func report(_ fields: [String: Any], json: Bool = true) {
    if json {
        let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    } else {
        for key in fields.keys.sorted() { print("\(key): \(fields[key]!)") }
    }
}

/// Loads Fashion-MNIST or exits with the reason.
func loadFashionMNIST(_ directory: String?) -> FashionMNIST {
    orFail { try FashionMNIST.load(directory: directory) }
}

/// The options `train` and `lm train` share; unset ones take the model's recipe.
struct TrainingOptions: ParsableArguments {
    @Option(help: "Examples (train) or windows (lm train) per step.") var batchSize: Int?
    @Option(help: "Initial (peak) learning rate.") var learningRate: Float?
    @Option(help: "Weight decay (decoupled for adamw, L2 otherwise).") var weightDecay: Float?
    @Option(help: "Dropout rate in training (0 for none).") var dropout: Float?
    @Option(help: "Seed for initialization, shuffling, dropout and sampling.") var seed: UInt64 = 0
    @Option(help: "Where to write the checkpoint (safetensors).") var output: String?
    @Flag(help: "Print one JSON object at the end instead of progress.") var json = false

    func validate() throws {
        if let batchSize, batchSize <= 0 { throw ValidationError("--batch-size must be positive, got \(batchSize)") }
        if let learningRate, !(learningRate > 0) { throw ValidationError("--learning-rate must be positive, got \(learningRate)") }
        if let weightDecay, !(weightDecay >= 0) { throw ValidationError("--weight-decay must be at least 0, got \(weightDecay)") }
        if let dropout, !(0..<1).contains(dropout) { throw ValidationError("--dropout must be in [0, 1), got \(dropout)") }
    }

    /// Prints progress lines unless `--json` is set.
    var say: (String) -> Void { json ? { _ in } : { print($0); fflush(nil) } }
}
