import ArgumentParser
import DeepLearning
import Foundation

/// Exits with a one-line message on stderr and a non-zero status. Control characters (a line
/// break in a name read from a file) are written escaped, so the message stays one line.
func fail(_ message: String) -> Never {
    let line = message.unicodeScalars.map { $0.properties.generalCategory == .control ? $0.escaped(asASCII: true) : String($0) }.joined()
    FileHandle.standardError.write(Data(("deeplearn: " + line + "\n").utf8))
    exit(1)
}

/// The value of `body`, or exit with its error on one line.
func orFail<T>(_ body: () throws -> T) -> T {
    do { return try body() } catch { fail("\(error)") }
}

/// Prints `fields` as one JSON object with sorted keys, or as aligned `key: value` lines. JSON
/// has no NaN or infinity: those numbers (a loss that diverged) are written as `null`.
func report(_ fields: [String: Any], json: Bool = true) {
    func finite(_ value: Any) -> Any {
        switch value {
        case let x as Float: return x.isFinite ? x : NSNull()
        case let x as Double: return x.isFinite ? x : NSNull()
        case let xs as [Any]: return xs.map(finite)
        case let d as [String: Any]: return d.mapValues(finite)
        default: return value
        }
    }
    if json {
        let data = orFail { try JSONSerialization.data(withJSONObject: finite(fields), options: [.sortedKeys]) }
        print(String(decoding: data, as: UTF8.self))
    } else {
        for key in fields.keys.sorted() { print("\(key): \(fields[key]!)") }
    }
}

/// Loads Fashion-MNIST or exits with the reason.
func loadFashionMNIST(_ directory: String?) -> FashionMNIST {
    orFail { try FashionMNIST.load(directory: directory) }
}

/// Throws naming `flag` unless `value` is in `range`.
func check(_ value: Int, in range: ClosedRange<Int>, _ flag: String) throws {
    guard range.contains(value) else {
        throw ValidationError("\(flag) must be in \(range.lowerBound)...\(range.upperBound), got \(value)")
    }
}

/// A file given on the command line (a checkpoint): it must exist and not be a directory.
func checkReadable(_ path: String, _ flag: String) throws {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
        throw ValidationError("\(flag) \(path): no such file")
    }
}

/// The options `train` and `lm train` share; unset ones take the model's recipe.
struct TrainingOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Examples (train) or windows (lm train) per step.") var batchSize: Int?
    @Option(parsing: .unconditional, help: "Initial (peak) learning rate.") var learningRate: Float?
    @Option(parsing: .unconditional, help: "Weight decay (decoupled for adamw, L2 otherwise).") var weightDecay: Float?
    @Option(parsing: .unconditional, help: "Dropout rate in training (0 for none).") var dropout: Float?
    @Option(parsing: .unconditional, help: "Seed for initialization, shuffling, dropout and sampling.") var seed: UInt64 = 0
    @Option(help: "Where to write the checkpoint (safetensors).") var output: String?
    @Flag(help: "Print one JSON object at the end instead of progress.") var json = false

    func validate() throws {
        if let batchSize { try check(batchSize, in: 1...1 << 20, "--batch-size") }
        if let learningRate, !(learningRate.isFinite && learningRate > 0) {
            throw ValidationError("--learning-rate must be a finite number > 0, got \(learningRate)")
        }
        if let weightDecay, !(weightDecay.isFinite && weightDecay >= 0) {
            throw ValidationError("--weight-decay must be a finite number >= 0, got \(weightDecay)")
        }
        if let dropout, !(0..<1).contains(dropout) { throw ValidationError("--dropout must be in [0, 1), got \(dropout)") }
    }

    /// Prints progress lines unless `--json` is set.
    var say: (String) -> Void { json ? { _ in } : { print($0); fflush(nil) } }
}

/// The classifier in a checkpoint: a quantized one (`compress quantize`) or any other
/// (`ModelZoo.loadCheckpoint`: train, import, prune, distill), checked to give 10 class scores.
func loadClassifier(_ path: String) throws -> (network: any Layer, metadata: [String: String]) {
    guard QuantizedCheckpoint.isQuantized(path) else { return try ModelZoo.loadCheckpoint(path) }
    let (network, metadata) = try QuantizedCheckpoint.load(path)
    let output: [Int]
    do { output = try network.checkedOutputShape(for: [1, 784]) } catch {
        throw CompressionRun.InputError("\(path): the network cannot classify 784-pixel images: \(error)")
    }
    guard output == [1, FashionMNIST.classCount] else {
        throw CompressionRun.InputError("\(path): the network gives \(output.dropFirst()) outputs per image, not \(FashionMNIST.classCount) class scores")
    }
    return (network, metadata)
}
