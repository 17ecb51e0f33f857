import Foundation
import TensorCore

/// One epoch of a generative model's training: its wall time (training only) and the mean of
/// each logged value over its minibatches (`loss`, `reconstruction`, `kl`, `loss_d`, ...).
public struct EpochLog: Sendable, Equatable {
    public let epoch: Int
    public let seconds: Double
    public let values: [String: Double]

    /// `epoch 3: loss 0.0123, kl 4.56 (12.3 s)`.
    public var line: String {
        let fields = values.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.5g", $0.value))" }
        return "epoch \(epoch): " + fields.joined(separator: ", ") + String(format: " (%.1f s)", seconds)
    }
}

/// The minibatch loop shared by the generative models: each epoch shuffles the images (and their
/// labels) with `generator`, calls `step` on every batch of `batchSize` (the last one may be
/// smaller, as PyTorch's `DataLoader` keeps it) and averages what it returns. A value that is NaN
/// or infinite stops training with an error naming it, the epoch and the step: a run that has
/// diverged says so instead of writing a useless checkpoint.
func trainEpochs(
    images: Tensor, labels: Tensor? = nil, epochs: Int, batchSize: Int, generator: inout RandomGenerator,
    progress: (EpochLog) -> Void, step: (Tensor, Tensor?, inout RandomGenerator) -> [String: Float]
) throws -> [EpochLog] {
    guard epochs >= 1, batchSize >= 1 else { throw GenerativeError("epochs and batch size must be at least 1, got \(epochs) and \(batchSize)") }
    let n = images.shape[0]
    guard n >= 1 else { throw GenerativeError("no training images") }
    var logs: [EpochLog] = []
    for epoch in 1...epochs {
        let order = Tensor.permutation(n, using: &generator)
        var sums: [String: Double] = [:], batches = 0
        let start = ContinuousClock.now
        for first in stride(from: 0, to: n, by: batchSize) {
            let index = order.sliced(along: 0, from: first, to: min(first + batchSize, n))
            let values = step(images.selecting(along: 0, indices: index), labels?.selecting(along: 0, indices: index), &generator)
            for (name, value) in values {
                guard value.isFinite else {
                    throw GenerativeError("training stopped: \(name) is \(value) at epoch \(epoch), step \(batches + 1)")
                }
                sums[name, default: 0] += Double(value)
            }
            batches += 1
        }
        let log = EpochLog(epoch: epoch, seconds: (ContinuousClock.now - start).inSeconds,
                           values: sums.mapValues { $0 / Double(batches) })
        logs.append(log)
        progress(log)
    }
    return logs
}

/// `body` applied to consecutive slices of at most `size` rows of `x`, concatenated: evaluation
/// of a large set without holding every activation at once. No gradients are recorded.
func inBatches(_ x: Tensor, size: Int = 1000, _ body: (Tensor) -> Tensor) -> Tensor {
    withoutGradients {
        let n = x.shape[0]
        let parts = stride(from: 0, to: n, by: size).map { body(x.sliced(along: 0, from: $0, to: min($0 + size, n))) }
        return parts.count == 1 ? parts[0] : Tensor.concat(parts, along: 0)
    }
}

/// The tape's scalar as a Float.
extension Tensor {
    var float: Float { scalars[0] }
}
