import TensorCore

/// Batches of (input, target) pairs drawn from two tensors that share their first dimension.
///
/// Each pass (each `for` loop) reshuffles when `shuffle` is on, drawing from its own seeded
/// generator, so a run with the same seed sees the same batches in the same order.
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
    private var generator: RandomGenerator

    public init(_ inputs: Tensor, _ targets: Tensor, batchSize: Int, shuffle: Bool = false,
                dropLast: Bool = false, seed: UInt64 = 0) {
        precondition(inputs.rank > 0 && targets.rank > 0 && inputs.shape[0] == targets.shape[0],
                     "DataLoader: inputs \(inputs.shape) and targets \(targets.shape) differ in their first dimension")
        precondition(batchSize > 0, "DataLoader: batch size must be positive, got \(batchSize)")
        self.inputs = inputs
        self.targets = targets
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
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
        var batch = 0
        let count = batchCount, size = batchSize, x = inputs, y = targets
        return AnyIterator {
            guard batch < count else { return nil }
            let start = batch * size
            let index = Tensor(integers: Array(order[start..<Swift.min(start + size, n)]))
            batch += 1
            return (x.selecting(along: 0, indices: index), y.selecting(along: 0, indices: index))
        }
    }
}
