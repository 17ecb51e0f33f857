import Dispatch
import TensorCore

/// Batches of (input, target) pairs drawn from two tensors that share their first dimension.
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
    public let inputs: Tensor
    public let targets: Tensor
    public let batchSize: Int
    public let shuffle: Bool
    public let dropLast: Bool
    public let prefetch: Bool
    private var generator: RandomGenerator

    /// Batches of a `TensorDataset`.
    public convenience init(_ dataset: TensorDataset, batchSize: Int, shuffle: Bool = false, dropLast: Bool = false,
                            prefetch: Bool = true, seed: UInt64 = 0) {
        self.init(dataset.inputs, dataset.targets, batchSize: batchSize, shuffle: shuffle, dropLast: dropLast,
                  prefetch: prefetch, seed: seed)
    }

    public init(_ inputs: Tensor, _ targets: Tensor, batchSize: Int, shuffle: Bool = false,
                dropLast: Bool = false, prefetch: Bool = true, seed: UInt64 = 0) {
        precondition(inputs.rank > 0 && targets.rank > 0 && inputs.shape[0] == targets.shape[0],
                     "DataLoader: inputs \(inputs.shape) and targets \(targets.shape) differ in their first dimension")
        precondition(batchSize > 0, "DataLoader: batch size must be positive, got \(batchSize)")
        self.inputs = inputs
        self.targets = targets
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.prefetch = prefetch
        self.generator = RandomGenerator(seed: seed)
    }

    /// The number of examples.
    public var exampleCount: Int { inputs.shape[0] }

    /// The number of batches in one pass.
    public var batchCount: Int {
        dropLast ? exampleCount / batchSize : (exampleCount + batchSize - 1) / batchSize
    }

    public func makeIterator() -> AnyIterator<(Tensor, Tensor)> {
        let n = exampleCount
        let order: [Int] = shuffle ? Tensor.permutation(n, using: &generator).integers : Array(0..<n)
        let count = batchCount, size = batchSize, x = inputs, y = targets
        let batch: @Sendable (Int) -> (Tensor, Tensor) = { b in
            let start = b * size
            let index = Tensor(integers: Array(order[start..<Swift.min(start + size, n)]))
            return (x.selecting(along: 0, indices: index), y.selecting(along: 0, indices: index))
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
