import Layers
import TensorCore
import Training

/// Keeps pruned weights at zero while `fit` trains: after every optimizer step the masks are
/// applied again (so Adam's moments cannot bring a pruned weight back), and with a `schedule`
/// the masks are recomputed by magnitude every `frequency` steps at the schedule's sparsity,
/// up to its end (TensorFlow Model Optimization's `UpdatePruningStep`, Zhu & Gupta's gradual
/// pruning). Steps count across `fit` calls.
public final class PruningCallback: Callback {
    public let network: any Layer
    public let schedule: PolynomialSparsitySchedule?
    public let scope: Pruning.Scope
    public let frequency: Int
    /// The masks in force.
    public private(set) var masks: PruningMasks
    /// Optimizer steps seen so far.
    public private(set) var step = 0

    /// Fixed masks (one-shot pruning followed by fine-tuning).
    public init(_ masks: PruningMasks, network: any Layer) {
        (self.masks, self.network, self.schedule, self.scope, self.frequency) = (masks, network, nil, .global, 1)
        masks.apply()
    }

    /// Gradual pruning of `network` along `schedule`, ranked by `scope`, the masks renewed every
    /// `frequency` steps (100, TensorFlow's default) and at the schedule's end.
    public init(network: any Layer, schedule: PolynomialSparsitySchedule, scope: Pruning.Scope = .global, frequency: Int = 100) {
        require(frequency > 0, "PruningCallback: frequency must be > 0, got \(frequency)")
        (self.network, self.schedule, self.scope, self.frequency) = (network, schedule, scope, frequency)
        masks = Pruning.magnitudeMasks(for: network, sparsity: schedule.sparsity(at: 0), scope: scope)
        masks.apply()
    }

    public func onBatchEnd(_ batch: Int, logs: [String: Float], model: Model) {
        step += 1
        if let schedule, step <= schedule.end, step >= schedule.begin, step % frequency == 0 || step == schedule.end {
            masks = Pruning.magnitudeMasks(for: network, sparsity: schedule.sparsity(at: step), scope: scope)
        }
        masks.apply()
    }
}
