import ArgumentParser
import DeepLearning
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure kernels and per-op overhead; --json prints one machine-readable object.",
        subcommands: [GemmBench.self, OpsBench.self, MLPBench.self, CNNBench.self, LSTMBench.self, GRUBench.self, InferenceBench.self])
}

/// The process's peak resident memory in MiB (VmHWM on Linux), or nil where unknown.
func peakResidentMiB() -> Double? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kib = Double(line.split(separator: " ").dropFirst().first ?? "")
    else { return nil }
    return kib / 1024
}

/// Median of `runs` timings of `body` after `warmup` untimed calls, in seconds.
func medianSeconds(runs: Int, warmup: Int = 2, _ body: () -> Void) -> Double {
    for _ in 0..<warmup { body() }
    let clock = ContinuousClock()
    var times: [Double] = []
    for _ in 0..<runs {
        let d = clock.measure(body)
        times.append(Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
    }
    times.sort()
    return times[times.count / 2]
}

/// Prints `fields` as one JSON object (keys sorted), or as aligned `key: value` lines.
func report(_ fields: [String: Any], json: Bool) {
    if json {
        let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    } else {
        for key in fields.keys.sorted() { print("\(key): \(fields[key]!)") }
    }
}

struct GemmBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm", abstract: "Time an N x N float32 matrix product (median GFLOP/s).")

    @Option(help: "Matrix size N.") var size = 1024
    @Option(help: "Timed runs (at least 5), after 2 warm-up runs.") var runs = 10
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard size > 0 else { throw ValidationError("--size must be positive, got \(size)") }
        guard runs >= 5 else { throw ValidationError("--runs must be at least 5, got \(runs)") }
    }

    func run() {
        var rng = RandomGenerator(seed: 0)
        let a = Tensor.uniform([size, size], using: &rng)
        let b = Tensor.uniform([size, size], using: &rng)
        var sink: Float = 0
        let seconds = medianSeconds(runs: runs) { sink += matmul(a, b).withUnsafeBufferPointer { $0[0] } }
        let n = Double(size)
        report([
            "benchmark": "gemm", "size": size, "runs": runs, "median_seconds": seconds,
            "gflops": 2 * n * n * n / seconds / 1e9, "backend": Backend.blasName,
            "library": Backend.blasLibrary ?? "none", "checksum": Double(sink),
        ], json: json)
    }
}

struct OpsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ops",
        abstract: "Per-op overhead: microseconds to add two 1-element tensors, without and with recording.")

    @Option(help: "Additions per timed run.") var iterations = 200_000
    @Option(help: "Timed runs (median reported).") var runs = 7
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard iterations > 0, runs > 0 else { throw ValidationError("--iterations and --runs must be positive") }
    }

    func run() {
        let a = Tensor([1]), b = Tensor([2])
        var tracked = a
        tracked.requiresGrad = true
        var sink: Float = 0
        let n = iterations
        let plain = medianSeconds(runs: runs) {
            for _ in 0..<n { sink += (a + b).withUnsafeBufferPointer { $0[0] } }
        }
        let recorded = medianSeconds(runs: runs) {
            for _ in 0..<n { sink += (tracked + b).withUnsafeBufferPointer { $0[0] } }
        }
        report([
            "benchmark": "ops", "iterations": n, "runs": runs,
            "add_us": plain / Double(n) * 1e6, "add_grad_us": recorded / Double(n) * 1e6,
            "checksum": Double(sink),
        ], json: json)
    }
}

/// The options of the training benchmarks.
struct TrainingBenchOptions: ParsableArguments {
    @Option(help: "Epochs to time.") var epochs = 1
    @Option(help: "Examples per step.") var batchSize = 128
    @Option(help: "Directory holding the Fashion-MNIST files.") var data: String?
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard epochs > 0, batchSize > 0 else { throw ValidationError("--epochs and --batch-size must be positive") }
    }

    /// Trains zoo model `name` (Adam 1e-3, no dropout) and reports each epoch's time.
    func run(model name: String) {
        let dataset = loadFashionMNIST(data)
        let network = Random.withSeed(0) { ModelZoo.make(name) }
        let model = Model(network)
        model.compile(optimizer: Adam(network.trainableParameters, learningRate: 1e-3), loss: .crossEntropy())
        model.progressOutput = nil
        var seconds: [Double] = []
        let history = model.fit(dataset.trainImages, dataset.trainLabels, epochs: epochs, batchSize: batchSize,
                                callbacks: [EpochTimer { seconds.append($0) }])
        report([
            "benchmark": name, "epoch_seconds": seconds.count == 1 ? seconds[0] as Any : seconds as Any,
            "train_loss": history["loss"].last ?? .nan, "examples": dataset.trainImages.shape[0],
            "batch_size": batchSize, "peak_rss_mib": peakResidentMiB() ?? -1, "backend": Backend.blasName,
        ], json: json)
    }
}

struct MLPBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mlp",
        abstract: "Train the 784-256-128-10 ReLU MLP with Adam 1e-3, batch 128, on Fashion-MNIST; time each epoch.")
    @OptionGroup var options: TrainingBenchOptions
    func run() { options.run(model: "mlp") }
}

struct CNNBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cnn",
        abstract: "Train the 2 Conv+pooling network with Adam 1e-3, batch 128, on Fashion-MNIST; time each epoch.")
    @OptionGroup var options: TrainingBenchOptions
    func run() { options.run(model: "cnn") }
}

struct LSTMBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lstm",
        abstract: "Train the row-by-row LSTM (128, last state, Dense 10) with Adam 1e-3, batch 128, on Fashion-MNIST; time each epoch.")
    @OptionGroup var options: TrainingBenchOptions
    func run() { options.run(model: "lstm") }
}

struct GRUBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gru",
        abstract: "Train the row-by-row GRU (128, last state, Dense 10) with Adam 1e-3, batch 128, on Fashion-MNIST; time each epoch.")
    @OptionGroup var options: TrainingBenchOptions
    func run() { options.run(model: "gru") }
}

struct InferenceBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inference",
        abstract: "Inference speed of a zoo model: batch-1 latency and batch-1000 throughput on test images.")

    @Option(help: "Model: \(ModelZoo.names.joined(separator: ", ")).") var model = "cnn"
    @Option(help: "Timed runs (median reported).") var runs = 20
    @Option(help: "Directory holding the Fashion-MNIST files.") var data: String?
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard ModelZoo.names.contains(model) else { throw ValidationError("unknown model '\(model)'") }
        guard runs >= 5 else { throw ValidationError("--runs must be at least 5") }
    }

    func run() {
        let dataset = loadFashionMNIST(data)
        let network = Random.withSeed(0) { ModelZoo.make(model) }
        network.eval()
        let one = dataset.testImages[0..<1]
        let thousand = dataset.testImages[0..<Swift.min(1000, dataset.testImages.shape[0])]
        var sink: Float = 0
        let latency = withoutGradients { medianSeconds(runs: runs * 10, warmup: 10) { sink += network(one).scalars[0] } }
        let batch = withoutGradients { medianSeconds(runs: runs) { sink += network(thousand).scalars[0] } }
        report([
            "benchmark": "inference", "model": model, "batch1_latency_ms": latency * 1e3,
            "batch1000_images_per_second": Double(thousand.shape[0]) / batch, "batch1000_seconds": batch,
            "checksum": Double(sink), "backend": Backend.blasName,
        ], json: json)
    }
}
