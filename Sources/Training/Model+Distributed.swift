import Datasets
import Distributed
import TensorCore

/// Data-parallel training: a `Model` over the ranks of a `Communicator`. `fit`'s loop (in
/// Model.swift) reads its batches through a `DataLoader.Shard` and calls these.
extension Model {
    /// Whether this process prints progress and runs the callbacks that write files: always,
    /// except on the ranks other than 0 of a distributed run.
    public var isPrimary: Bool { distributed?.communicator.isPrimary ?? true }

    /// Trains data-parallel over `communicator`'s ranks from here on (Horovod's
    /// `DistributedOptimizer`, PyTorch's `DistributedDataParallel`): rank 0's weights are
    /// broadcast now, so call it once the network holds the weights to start from (after loading
    /// a checkpoint). Every rank runs the same program with the same `fit` arguments; then
    ///
    /// - `batchSize` is the global batch: each rank trains on its contiguous share of every batch
    ///   of the shuffle all ranks draw with `seed`, and the gradients are averaged over the whole
    ///   batch before each step (`DistributedDataParallel`), so every rank takes the same step;
    /// - the logged loss and metrics, and the validation logs (each rank evaluates its share of
    ///   the validation set), are over all ranks, the same on each;
    /// - only rank 0 prints, and runs callbacks whose `isPrimaryOnly` is set (checkpoints, logs).
    ///
    /// Random layers (dropout) draw from each rank's own generator; batch normalization uses
    /// each rank's batch statistics, and rank 0's running statistics are copied to the others
    /// before each validation.
    public func distribute(over communicator: any Communicator, bucketCapacity: Int = 1 << 16, overlap: Bool = true) {
        distributed = DistributedDataParallel(network, communicator: communicator, bucketCapacity: bucketCapacity, overlap: overlap)
    }

    /// Each of `logs` averaged over the ranks, each rank's weighing `weight`: the same on every rank.
    func averaged(_ logs: [String: Float], weight: Int, over communicator: any Communicator) -> [String: Float] {
        let keys = logs.keys.sorted()
        let sums = communicator.allReduce(keys.map { logs[$0]! * Float(weight) } + [Float(weight)])
        return Dictionary(uniqueKeysWithValues: zip(keys, sums.map { $0 / sums[keys.count] }))
    }

    /// `evaluate`, distributed over the ranks when training is: rank 0's buffers (batch norm's
    /// running statistics) are copied to every rank, each evaluates its contiguous share of the
    /// examples, and the results are averaged by share, the same on every rank.
    func evaluateShare(_ x: Tensor, _ y: Tensor, batchSize: Int) -> [String: Float] {
        guard let distributed else { return evaluate(x, y, batchSize: batchSize) }
        distributed.synchronizeBuffers()
        let communicator = distributed.communicator
        let part = DataLoader.Shard(rank: communicator.rank, count: communicator.size).positions(in: x.shape[0])
        guard !part.isEmpty else {
            // No examples here: contribute nothing, with the same keys as the others.
            let keys = ["loss"] + metrics.map(\.name)
            return averaged(Dictionary(uniqueKeysWithValues: keys.map { ($0, 0) }), weight: 0, over: communicator)
        }
        return averaged(evaluate(x[part], y[part], batchSize: batchSize), weight: part.count, over: communicator)
    }
}
