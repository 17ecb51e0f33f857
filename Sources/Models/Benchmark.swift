import Datasets
import Distributed
import Foundation
import Layers
import Optimizers
import TensorCore
import Training

/// The measurements behind `deeplearn bench`: each returns the fields it reports, JSON-ready
/// (BENCHMARKS.md quotes them by key).
public enum Benchmark {
    /// The process's peak resident memory in MiB (VmHWM on Linux), or nil where unknown.
    public static func peakResidentMiB() -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kib = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        return kib / 1024
    }

    /// Median of `runs` timings of `body` after `warmup` untimed calls, in seconds.
    public static func medianSeconds(runs: Int, warmup: Int = 2, _ body: () -> Void) -> Double {
        for _ in 0..<warmup { body() }
        let clock = ContinuousClock()
        var times: [Double] = []
        for _ in 0..<runs {
            times.append(clock.measure(body).inSeconds)
        }
        times.sort()
        return times[times.count / 2]
    }

    /// Median GFLOP/s of an `size` x `size` float32 matrix product, and the backend that ran it.
    public static func gemm(size: Int, runs: Int) -> [String: Any] {
        var rng = RandomGenerator(seed: 0)
        let a = Tensor.uniform([size, size], using: &rng)
        let b = Tensor.uniform([size, size], using: &rng)
        var sink: Float = 0
        let seconds = medianSeconds(runs: runs) { sink += matmul(a, b).withUnsafeBufferPointer { $0[0] } }
        let n = Double(size)
        return [
            "benchmark": "gemm", "size": size, "runs": runs, "median_seconds": seconds,
            "gflops": 2 * n * n * n / seconds / 1e9, "backend": Backend.blasName,
            "library": Backend.blasLibrary ?? "none", "checksum": Double(sink),
        ]
    }

    /// The int8 product of quantized inference (`quantizedMatmul`, uint8 at most 127 times int8)
    /// on each path this processor has, against the float32 product of the same shape in the
    /// same run: an m x k activation times an n x k weight (a Linear layer's forward).
    public static func quantizedGemm(m: Int, n: Int, k: Int, runs: Int) -> [String: Any] {
        var rng = RandomGenerator(seed: 0)
        let a = Tensor(integers: (0..<(m * k)).map { _ in Int(rng.next() % 128) }, shape: [m, k], dtype: .uint8)
        let b = Tensor(integers: (0..<(n * k)).map { _ in Int(rng.next() % 256) - 128 }, shape: [n, k], dtype: .int8)
        let (af, bf) = (a.converted(to: .float32), b.converted(to: .float32))
        var sink: Float = 0
        let operations = 2 * Double(m) * Double(n) * Double(k)
        let float = medianSeconds(runs: runs) { sink += matmul(af, bf.transposed()).withUnsafeBufferPointer { $0[0] } }
        var result: [String: Any] = ["benchmark": "qgemm", "m": m, "n": n, "k": k, "runs": runs, "float32_gflops": operations / float / 1e9,
                                     "backend": Backend.blasName]
        for path in quantizedMatmulPaths {
            let seconds = medianSeconds(runs: runs) { sink += quantizedMatmul(a, b, path: path).withUnsafeIntegers(as: Int32.self) { Float($0[0]) } }
            result["int8_\(path.rawValue)_gops"] = operations / seconds / 1e9
            result["int8_\(path.rawValue)_over_float32"] = float / seconds
        }
        result["checksum"] = Double(sink)
        return result
    }

    /// Per-op overhead: microseconds to add two 1-element tensors, without and with recording.
    public static func ops(iterations n: Int, runs: Int) -> [String: Any] {
        let a = Tensor([1]), b = Tensor([2])
        var tracked = a
        tracked.requiresGrad = true
        var sink: Float = 0
        let plain = medianSeconds(runs: runs) {
            for _ in 0..<n { sink += (a + b).withUnsafeBufferPointer { $0[0] } }
        }
        let recorded = medianSeconds(runs: runs) {
            for _ in 0..<n { sink += (tracked + b).withUnsafeBufferPointer { $0[0] } }
        }
        return [
            "benchmark": "ops", "iterations": n, "runs": runs,
            "add_us": plain / Double(n) * 1e6, "add_grad_us": recorded / Double(n) * 1e6,
            "checksum": Double(sink),
        ]
    }

    /// Trains zoo model `name` (Adam 1e-3, no dropout, seed 0) on `data` and times each epoch.
    public static func training(_ name: String, data: FashionMNIST, epochs: Int, batchSize: Int) throws -> [String: Any] {
        let network = try Random.withSeed(0) { try ModelZoo.make(name) }
        let model = Model(network)
        model.compile(optimizer: Adam(network.trainableParameters, learningRate: 1e-3), loss: .crossEntropy())
        model.progressOutput = nil
        var seconds: [Double] = []
        let history = model.fit(data.trainImages, data.trainLabels, epochs: epochs, batchSize: batchSize,
                                callbacks: [EpochTimer { seconds.append($0) }])
        return [
            "benchmark": name, "epoch_seconds": seconds.count == 1 ? seconds[0] as Any : seconds as Any,
            "train_loss": history["loss"].last ?? .nan, "examples": data.trainImages.shape[0],
            "batch_size": batchSize, "peak_rss_mib": peakResidentMiB() ?? -1, "backend": Backend.blasName,
        ]
    }

    /// Batch-1 latency and batch-1000 throughput of zoo model `name` on `data`'s test images.
    public static func inference(_ name: String, data: FashionMNIST, runs: Int) throws -> [String: Any] {
        try inference(Random.withSeed(0) { try ModelZoo.make(name) }, named: name, data: data, runs: runs)
    }

    /// The same for any classifier of 784-pixel images (a checkpoint's: pruned, distilled).
    public static func inference(_ network: any Layer, named name: String, data: FashionMNIST, runs: Int) -> [String: Any] {
        network.eval()
        let one = data.testImages[0..<1]
        let thousand = data.testImages[0..<Swift.min(1000, data.testImages.shape[0])]
        var sink: Float = 0
        let latency = withoutGradients { medianSeconds(runs: runs * 10, warmup: 10) { sink += network(one).scalars[0] } }
        let batch = withoutGradients { medianSeconds(runs: runs) { sink += network(thousand).scalars[0] } }
        return [
            "benchmark": "inference", "model": name, "batch1_latency_ms": latency * 1e3,
            "batch1000_images_per_second": Double(thousand.shape[0]) / batch, "batch1000_seconds": batch,
            "checksum": Double(sink), "backend": Backend.blasName,
        ]
    }

    /// Data-parallel training speed: zoo model `name` (Adam 1e-3, no dropout, seed 0) trained for
    /// one epoch of `data` (or its first `steps` steps) with global batch `batchSize` over
    /// `communicator`'s ranks, every rank timing its steps. Reports images per second over all
    /// ranks (the slowest rank's time), the time the steps waited for the gradient all-reduce,
    /// what one step's all-reduce costs alone, and the share of the wait that overlapping it with
    /// backward hides (from alternating runs of 20 steps with and without). Run it with one rank
    /// and with several (and without MPI, on more threads) to compare.
    public static func dataParallel(_ name: String, data: FashionMNIST, communicator: any Communicator, batchSize: Int,
                                    steps: Int?, overlap: Bool) throws -> [String: Any] {
        let network = try Random.withSeed(0) { try ModelZoo.make(name) }
        let model = Model(network)
        model.compile(optimizer: Adam(network.trainableParameters, learningRate: 1e-3), loss: .crossEntropy())
        model.progressOutput = nil
        if communicator.size > 1 { model.distribute(over: communicator, overlap: overlap) }
        var (x, y) = (data.trainImages, data.trainLabels)
        if let steps, steps * batchSize < x.shape[0] { (x, y) = (x[0..<(steps * batchSize)], y[0..<(steps * batchSize)]) }
        communicator.barrier()
        var seconds: [Double] = []
        let history = model.fit(x, y, epochs: 1, batchSize: batchSize, callbacks: [EpochTimer { seconds.append($0) }], verbose: .silent)
        // The slowest rank's time is the job's.
        let slowest = Double(communicator.allGather(Tensor([Float(seconds[0])])).scalars.max()!)
        let statistics = model.distributed?.statistics ?? DistributedDataParallel.Statistics()
        var result: [String: Any] = [
            "benchmark": "ddp", "model": name, "ranks": communicator.size, "threads_per_rank": Backend.coreCount,
            "batch_size": batchSize, "examples": x.shape[0], "epoch_seconds": slowest,
            "images_per_second": Double(x.shape[0]) / slowest, "train_loss": history["loss"].last ?? .nan,
            "overlap": overlap && communicator.size > 1, "backend": Backend.blasName,
            "exposed_allreduce_seconds": statistics.exposedSeconds,
        ]
        if let ddp = model.distributed {
            // The all-reduce alone, then what a step waits for it with and without overlap, in
            // alternating runs of 20 steps: the share of the wait that overlapping hides.
            result["buckets"] = ddp.bucketCount
            result["allreduce_alone_seconds_per_step"] = ddp.timeAllReduce()
            let probe = (x[0..<Swift.min(20 * batchSize, x.shape[0])], y[0..<Swift.min(20 * batchSize, y.shape[0])])
            var waits = [false: [Double](), true: [Double]()]
            for _ in 0..<2 {
                for mode in [false, true] {
                    ddp.overlap = mode
                    let before = ddp.statistics
                    model.fit(probe.0, probe.1, epochs: 1, batchSize: batchSize, verbose: .silent)
                    let after = ddp.statistics
                    waits[mode]!.append((after.exposedSeconds - before.exposedSeconds) / Double(after.steps - before.steps))
                }
            }
            ddp.overlap = overlap
            let (serial, overlapped) = (waits[false]!.reduce(0, +) / 2, waits[true]!.reduce(0, +) / 2)
            result["wait_seconds_per_step_serial"] = serial
            result["wait_seconds_per_step_overlapped"] = overlapped
            result["hidden_allreduce_fraction"] = serial > 0 ? Swift.max(0, 1 - overlapped / serial) : 0
        }
        return result
    }
}
