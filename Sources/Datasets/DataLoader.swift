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
/// ```swift
/// let loader = DataLoader(images, labels, batchSize: 128, shuffle: true, seed: 0)
/// for (x, y) in loader { ... }   // x: [128, 784], y: [128]
/// ```
public final class DataLoader: Sequence {
    public let dataset: any Dataset
    public let batchSize: Int
    public let shuffle: Bool
    public let dropLast: Bool
    public let prefetch: Bool
    private var generator: RandomGenerator

    /// Batches of in-memory tensors (`[N, ...]` each).
    public convenience init(_ inputs: Tensor, _ targets: Tensor, batchSize: Int, shuffle: Bool = false,
                            dropLast: Bool = false, prefetch: Bool = true, seed: UInt64 = 0) {
        self.init(TensorDataset(inputs, targets), batchSize: batchSize, shuffle: shuffle, dropLast: dropLast,
                  prefetch: prefetch, seed: seed)
    }

    public init(_ dataset: any Dataset, batchSize: Int, shuffle: Bool = false, dropLast: Bool = false,
                prefetch: Bool = true, seed: UInt64 = 0) {
        require(batchSize > 0, "DataLoader: batch size must be positive, got \(batchSize)")
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
        dropLast ? exampleCount / batchSize : (exampleCount + batchSize - 1) / batchSize
    }

    public func makeIterator() -> AnyIterator<(Tensor, Tensor)> {
        let n = exampleCount
        let order: [Int] = shuffle ? Tensor.permutation(n, using: &generator).integers : Array(0..<n)
        let count = batchCount, size = batchSize, data = dataset
        let batch: @Sendable (Int) -> (Tensor, Tensor) = { b in
            let start = b * size
            let examples = data.batch(at: Array(order[start..<Swift.min(start + size, n)]))
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
