import Dispatch
import TensorCore

/// Batches of (input, target) pairs drawn from a `Dataset`, or from two tensors that share their
/// first dimension.
///
/// Each pass (each `for` loop) reshuffles when `shuffle` is on, drawing from its own seeded
/// generator, so a run with the same seed sees the same batches in the same order. With
/// `prefetch` (the default) the next batch is gathered on a background thread while the current
/// one is in use.
///
/// With a `shard`, each batch is this process's share of the batch all processes draw together
/// (data-parallel training: every rank shuffles with the same seed, and takes a contiguous part of
/// every batch, PyTorch's `DistributedSampler` applied per batch).
///
/// ```swift
/// let loader = DataLoader(images, labels, batchSize: 128, shuffle: true, seed: 0)
/// for (x, y) in loader { ... }   // x: [128, 784], y: [128]
/// ```
public final class DataLoader: Sequence {
    /// One process's part of every batch: of a batch of n examples, positions
    /// `n·rank/count ..< n·(rank+1)/count`.
    public struct Shard: Sendable, Equatable {
        public let rank: Int, count: Int
        public init(rank: Int, count: Int) {
            require(count >= 1 && (0..<count).contains(rank), "DataLoader.Shard: rank \(rank) is not in 0..<\(count)")
            (self.rank, self.count) = (rank, count)
        }
        /// This shard's positions in a batch of `n`.
        public func positions(in n: Int) -> Range<Int> { (n * rank / count)..<(n * (rank + 1) / count) }
    }

    public let dataset: any Dataset
    public let batchSize: Int
    public let shuffle: Bool
    public let dropLast: Bool
    public let prefetch: Bool
    /// This process's part of each batch, or nil for the whole batch.
    public let shard: Shard?
    private var generator: RandomGenerator

    /// Batches of in-memory tensors (`[N, ...]` each).
    public convenience init(_ inputs: Tensor, _ targets: Tensor, batchSize: Int, shuffle: Bool = false,
                            dropLast: Bool = false, prefetch: Bool = true, seed: UInt64 = 0, shard: Shard? = nil) {
        self.init(TensorDataset(inputs, targets), batchSize: batchSize, shuffle: shuffle, dropLast: dropLast,
                  prefetch: prefetch, seed: seed, shard: shard)
    }

    /// With a `shard`, `batchSize` is the batch of all processes together, and a last batch
    /// with fewer examples than processes is left out (every process must have a part).
    public init(_ dataset: any Dataset, batchSize: Int, shuffle: Bool = false, dropLast: Bool = false,
                prefetch: Bool = true, seed: UInt64 = 0, shard: Shard? = nil) {
        require(batchSize > 0, "DataLoader: batch size must be positive, got \(batchSize)")
        require(shard.map { batchSize >= $0.count } ?? true,
                "DataLoader: a batch of \(batchSize) cannot be shared by \(shard?.count ?? 0) processes")
        self.shard = shard
        self.dataset = dataset
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.prefetch = prefetch
        self.generator = RandomGenerator(seed: seed)
    }

    /// Draws the shuffles of `passes` passes without making their batches, so that the next
    /// pass is the one a run that made them would see (resuming at a later epoch).
    public func skipPasses(_ passes: Int) {
        guard shuffle else { return }
        for _ in 0..<Swift.max(passes, 0) { _ = Tensor.permutation(exampleCount, using: &generator) }
    }

    /// The number of examples.
    public var exampleCount: Int { dataset.count }

    /// The number of batches in one pass.
    public var batchCount: Int {
        let remainder = exampleCount % batchSize
        return exampleCount / batchSize + (remainder > 0 && !dropLast && remainder >= (shard?.count ?? 1) ? 1 : 0)
    }

    public func makeIterator() -> AnyIterator<(Tensor, Tensor)> {
        let n = exampleCount
        let order: [Int] = shuffle ? Tensor.permutation(n, using: &generator).integers : Array(0..<n)
        let count = batchCount, size = batchSize, data = dataset, shard = shard
        let batch: @Sendable (Int) -> (Tensor, Tensor) = { b in
            let start = b * size
            let length = Swift.min(size, n - start)
            let part = shard?.positions(in: length) ?? 0..<length
            let examples = data.batch(at: Array(order[(start + part.lowerBound)..<(start + part.upperBound)]))
            return (examples.inputs, examples.targets)
        }
        var next = 0
        guard prefetch && count > 1 else {
            return AnyIterator {
                guard next < count else { return nil }
                defer { next += 1 }
                return batch(next)
            }
        }
        // One batch in flight: gathered on a background queue while the caller uses the last.
        let queue = DispatchQueue(label: "DataLoader.prefetch")
        var pending: Prefetched? = Prefetched(batch: 0, on: queue, batch)
        return AnyIterator {
            guard let current = pending else { return nil }
            next += 1
            pending = next < count ? Prefetched(batch: next, on: queue, batch) : nil
            return current.wait()
        }
    }
}

/// A batch being gathered on a background queue.
private final class Prefetched: @unchecked Sendable {
    private var result: (Tensor, Tensor)?
    private let group = DispatchGroup()

    init(batch index: Int, on queue: DispatchQueue, _ make: @escaping @Sendable (Int) -> (Tensor, Tensor)) {
        queue.async(group: group) { self.result = make(index) }
    }

    /// Blocks until the batch is ready; the group's wait orders the write before this read.
    func wait() -> (Tensor, Tensor) {
        group.wait()
        return result!
    }
}
