import TensorCore

/// A source of (input, target) examples that `DataLoader` batches.
public protocol Dataset: Sendable {
    /// The number of examples.
    var count: Int { get }
    /// The examples at `indices`, stacked along a new first dimension, in that order.
    func batch(at indices: [Int]) -> (inputs: Tensor, targets: Tensor)
}

/// An in-memory dataset: inputs and targets whose first dimension indexes examples.
public struct TensorDataset: Dataset {
    /// Shape: `[N, ...]`.
    public let inputs: Tensor
    /// Shape: `[N, ...]`.
    public let targets: Tensor

    public init(_ inputs: Tensor, _ targets: Tensor) {
        require(inputs.rank > 0 && targets.rank > 0 && inputs.shape[0] == targets.shape[0],
                     "TensorDataset: inputs \(inputs.shape) and targets \(targets.shape) differ in their first dimension")
        self.inputs = inputs
        self.targets = targets
    }

    /// The number of examples.
    public var count: Int { inputs.shape[0] }

    public func batch(at indices: [Int]) -> (inputs: Tensor, targets: Tensor) {
        let index = Tensor(integers: indices)
        return (inputs.selecting(along: 0, indices: index), targets.selecting(along: 0, indices: index))
    }

    /// The examples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> TensorDataset {
        let index = Tensor(integers: indices)
        return TensorDataset(inputs.selecting(along: 0, indices: index), targets.selecting(along: 0, indices: index))
    }

    /// A seeded random split into training and validation parts, the latter holding
    /// `validationFraction` of the examples (rounded).
    public func split(validationFraction: Float, seed: UInt64 = 0) -> (train: TensorDataset, validation: TensorDataset) {
        require((0...1).contains(validationFraction), "split: fraction \(validationFraction) is not in [0, 1]")
        var rng = RandomGenerator(seed: seed)
        let order = Tensor.permutation(count, using: &rng).integers
        let held = Int((Float(count) * validationFraction).rounded())
        return (subset(Array(order[held...])), subset(Array(order[..<held])))
    }

    /// `k` (train, validation) pairs: the shuffled examples are cut into `k` folds of nearly
    /// equal size, and each fold serves once as validation (scikit-learn's `KFold(shuffle=True)`).
    public func kFold(_ k: Int, seed: UInt64 = 0) -> [(train: TensorDataset, validation: TensorDataset)] {
        require(k >= 2 && k <= count, "kFold: k = \(k) needs 2 <= k <= \(count) examples")
        var rng = RandomGenerator(seed: seed)
        let order = Tensor.permutation(count, using: &rng).integers
        let bounds = (0...k).map { $0 * count / k }
        return (0..<k).map { fold in
            let validation = Array(order[bounds[fold]..<bounds[fold + 1]])
            let train = Array(order[..<bounds[fold]]) + Array(order[bounds[fold + 1]...])
            return (subset(train), subset(validation))
        }
    }
}
