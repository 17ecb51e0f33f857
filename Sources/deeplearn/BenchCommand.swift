import ArgumentParser
import DeepLearning
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure kernels, per-op overhead and training speed; --json prints one machine-readable object.",
        discussion: "`deeplearn bench MODEL` (mlp, cnn, lstm, ...) times training epochs of a zoo model.",
        subcommands: [GemmBench.self, QuantizedGemmBench.self, OpsBench.self, TrainingBench.self, InferenceBench.self, DataParallelBench.self],
        defaultSubcommand: TrainingBench.self)
}

struct GemmBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm", abstract: "Time an N x N float32 matrix product (median GFLOP/s).")

    @Option(parsing: .unconditional, help: "Matrix size N.") var size = 1024
    @Option(parsing: .unconditional, help: "Timed runs (at least 5), after 2 warm-up runs.") var runs = 10
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        // Three 8192 x 8192 matrices take 768 MiB.
        try check(size, in: 1...8192, "--size")
        try check(runs, in: 5...10_000, "--runs")
    }

    func run() { report(Benchmark.gemm(size: size, runs: runs), json: json) }
}

struct QuantizedGemmBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qgemm",
        abstract: "Time the int8 product of quantized inference (uint8 x int8 -> int32) on each kernel path, against float32 on the same shape.")

    @Option(parsing: .unconditional, help: "Rows of the activations (the batch).") var m = 1000
    @Option(parsing: .unconditional, help: "Outputs (rows of the weight).") var n = 256
    @Option(parsing: .unconditional, help: "Inputs (the shared dimension).") var k = 784
    @Option(parsing: .unconditional, help: "Timed runs (at least 5), after 2 warm-up runs.") var runs = 20
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        for (value, flag) in [(m, "--m"), (n, "--n"), (k, "--k")] { try check(value, in: 1...8192, flag) }
        try check(runs, in: 5...10_000, "--runs")
    }

    func run() { report(Benchmark.quantizedGemm(m: m, n: n, k: k, runs: runs), json: json) }
}

struct OpsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ops",
        abstract: "Per-op overhead: microseconds to add two 1-element tensors, without and with recording.")

    @Option(parsing: .unconditional, help: "Additions per timed run.") var iterations = 200_000
    @Option(parsing: .unconditional, help: "Timed runs (median reported).") var runs = 7
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        try check(iterations, in: 1...100_000_000, "--iterations")
        try check(runs, in: 1...10_000, "--runs")
    }

    func run() { report(Benchmark.ops(iterations: iterations, runs: runs), json: json) }
}

struct TrainingBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "training",
        abstract: "Train a zoo model with Adam 1e-3, batch 128, on Fashion-MNIST; time each epoch (`bench mlp`, `bench cnn`, ...).")

    @Argument(help: "Model: \(ModelZoo.names.joined(separator: ", ")).") var model: String
    @Option(parsing: .unconditional, help: "Epochs to time.") var epochs = 1
    @Option(parsing: .unconditional, help: "Examples per step.") var batchSize = 128
    @Option(help: "Directory holding the Fashion-MNIST files.") var data: String?
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard ModelZoo.names.contains(model) else {
            throw ValidationError("unknown benchmark '\(model)'; choose gemm, ops, inference or a model: \(ModelZoo.names.joined(separator: ", "))")
        }
        try check(epochs, in: 1...1000, "--epochs")
        try check(batchSize, in: 1...60_000, "--batch-size")
    }

    func run() {
        let data = loadFashionMNIST(data)
        report(orFail { try Benchmark.training(model, data: data, epochs: epochs, batchSize: batchSize) }, json: json)
    }
}

struct InferenceBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inference",
        abstract: "Inference speed of a zoo model: batch-1 latency and batch-1000 throughput on test images.")

    @Option(help: "Model: \(ModelZoo.names.joined(separator: ", ")).") var model = "cnn"
    @Option(help: "Time this checkpoint's network instead (a trained, pruned or distilled classifier).") var checkpoint: String?
    @Option(parsing: .unconditional, help: "Timed runs (median reported).") var runs = 20
    @Option(help: "Directory holding the Fashion-MNIST files.") var data: String?
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard ModelZoo.names.contains(model) else { throw ValidationError("unknown model '\(model)'") }
        if let checkpoint { try checkReadable(checkpoint, "--checkpoint") }
        try check(runs, in: 5...10_000, "--runs")
    }

    func run() {
        let data = loadFashionMNIST(data)
        guard let checkpoint else {
            report(orFail { try Benchmark.inference(model, data: data, runs: runs) }, json: json)
            return
        }
        let network = orFail { try loadClassifier(checkpoint).network }
        var result = Benchmark.inference(network, named: checkpoint, data: data, runs: runs)
        result["checkpoint"] = checkpoint
        result["parameters"] = network.parameterCount()
        report(result, json: json)
    }
}

struct DataParallelBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ddp",
        abstract: "Data-parallel training speed: `mpirun -np N deeplearn bench ddp` times one epoch over N ranks.",
        discussion: """
            Without mpirun it times one process (with DEEPLEARN_THREADS threads), for comparison. Reports images per \
            second over all ranks, the all-reduce time and the share of it hidden behind backward.
            """)

    @Option(help: "Model: \(ModelZoo.names.joined(separator: ", ")).") var model = "cnn"
    @Option(parsing: .unconditional, help: "The global batch (shared by the ranks).") var batchSize = 128
    @Option(parsing: .unconditional, help: "Time only the first N steps of the epoch.") var steps: Int?
    @Flag(inversion: .prefixedNo, help: "All-reduce gradient buckets while backward runs.") var overlap = true
    @Option(help: "Directory holding the Fashion-MNIST files.") var data: String?
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard ModelZoo.names.contains(model) else { throw ValidationError("unknown model '\(model)'") }
        try check(batchSize, in: 1...60_000, "--batch-size")
        if let steps { try check(steps, in: 1...1_000_000, "--steps") }
    }

    func run() {
        let world: MPICommunicator? = MPICommunicator.isUnderMPIRun ? orFail { try MPICommunicator.world() } : nil
        let communicator: any Communicator = world ?? SingleProcessCommunicator()
        if batchSize < communicator.size { fail("--batch-size \(batchSize) cannot be shared by \(communicator.size) ranks") }
        let data = loadFashionMNIST(data)
        let result = orFail {
            try Benchmark.dataParallel(model, data: data, communicator: communicator, batchSize: batchSize, steps: steps, overlap: overlap)
        }
        if communicator.isPrimary { report(result, json: json) }
        world?.finalize()
    }
}
