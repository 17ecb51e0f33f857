#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorCore

/// A learning rate as a function of the step (or epoch, as the caller counts), from 0.
public protocol LearningRateSchedule: Sendable {
    func learningRate(at step: Int) -> Float
}

/// `initial · gamma^⌊step / stepSize⌋` (PyTorch's `StepLR`).
public struct StepDecay: LearningRateSchedule {
    public let initial: Float, stepSize: Int, gamma: Float
    public init(initial: Float, stepSize: Int, gamma: Float = 0.1) {
        require(stepSize > 0, "StepDecay: stepSize must be positive")
        self.initial = initial; self.stepSize = stepSize; self.gamma = gamma
    }
    public func learningRate(at step: Int) -> Float { initial * powf(gamma, Float(step / stepSize)) }
}

/// `initial · gamma^step` (PyTorch's `ExponentialLR`).
public struct ExponentialDecay: LearningRateSchedule {
    public let initial: Float, gamma: Float
    public init(initial: Float, gamma: Float) { self.initial = initial; self.gamma = gamma }
    public func learningRate(at step: Int) -> Float { initial * powf(gamma, Float(step)) }
}

/// A linear warm-up from `initial / warmupSteps` to `initial` over `warmupSteps`, then a cosine
/// decay to `minimum` at `totalSteps` (held there afterwards).
public struct CosineDecay: LearningRateSchedule {
    public let initial: Float, totalSteps: Int, warmupSteps: Int, minimum: Float
    public init(initial: Float, totalSteps: Int, warmupSteps: Int = 0, minimum: Float = 0) {
        require(totalSteps > warmupSteps && warmupSteps >= 0, "CosineDecay: needs totalSteps > warmupSteps >= 0")
        self.initial = initial; self.totalSteps = totalSteps; self.warmupSteps = warmupSteps; self.minimum = minimum
    }
    public func learningRate(at step: Int) -> Float {
        if step < warmupSteps { return initial * Float(step + 1) / Float(warmupSteps) }
        let progress = Float(Swift.min(step, totalSteps) - warmupSteps) / Float(totalSteps - warmupSteps)
        return minimum + (initial - minimum) * 0.5 * (1 + cosf(Float.pi * progress))
    }
}

/// Decides when a monitored value has stopped improving and by how much to cut the learning rate
/// (PyTorch's `ReduceLROnPlateau`; Keras's callback of that name uses it).
public final class PlateauDetector {
    public let factor: Float, patience: Int, minimizes: Bool, minDelta: Float, cooldown: Int, minimumLearningRate: Float
    public private(set) var best: Float?
    private var badEpochs = 0, cooldownLeft = 0

    public init(factor: Float = 0.1, patience: Int = 10, minimizes: Bool = true, minDelta: Float = 1e-4,
                cooldown: Int = 0, minimumLearningRate: Float = 0) {
        require(factor > 0 && factor < 1, "PlateauDetector: factor must be in (0, 1)")
        self.factor = factor; self.patience = patience; self.minimizes = minimizes; self.minDelta = minDelta
        self.cooldown = cooldown; self.minimumLearningRate = minimumLearningRate
    }

    /// Records this epoch's `value` and returns the learning rate to use next.
    public func update(_ value: Float, learningRate: Float) -> Float {
        let improved = best.map { minimizes ? value < $0 - minDelta : value > $0 + minDelta } ?? true
        if improved {
            best = value
            badEpochs = 0
        } else {
            badEpochs += 1
        }
        if cooldownLeft > 0 {
            cooldownLeft -= 1
            badEpochs = 0
        }
        guard badEpochs > patience else { return learningRate }
        badEpochs = 0
        cooldownLeft = cooldown
        return Swift.max(learningRate * factor, minimumLearningRate)
    }
}
