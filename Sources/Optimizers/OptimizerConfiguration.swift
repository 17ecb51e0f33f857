import Layers
import TensorCore

/// An optimizer by kind and hyperparameters, without parameters: what `Model.compile` can take
/// before the network's parameters are at hand (Keras's `optimizer="adam"`), and what a saved
/// model keeps so that a loaded one can continue `fit` (Keras's `get_config`).
///
/// ```swift
/// model.compile(optimizer: .adam(learningRate: 1e-3), loss: .categoricalCrossEntropy())
/// ```
public enum OptimizerConfiguration: Codable, Sendable, Equatable {
    case sgd(learningRate: Float = 0.01, momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0)
    case adam(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
              weightDecay: Float = 0, amsgrad: Bool = false)
    case adamW(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
               weightDecay: Float = 0.01, amsgrad: Bool = false)
    case rmsprop(learningRate: Float = 0.01, alpha: Float = 0.99, epsilon: Float = 1e-8, weightDecay: Float = 0,
                 momentum: Float = 0, centered: Bool = false)
    case adagrad(learningRate: Float = 0.01, learningRateDecay: Float = 0, weightDecay: Float = 0,
                 initialAccumulatorValue: Float = 0, epsilon: Float = 1e-10)

    /// Throws unless every hyperparameter is one the optimizer accepts (finite, non-negative,
    /// betas and alpha in [0, 1), Nesterov only with momentum): a configuration read from a file
    /// is checked before it is used.
    public func validate() throws {
        func check(_ ok: Bool, _ what: String) throws {
            guard ok else { throw OptimizerStateError(description: "optimizer configuration \(self): \(what)") }
        }
        func nonNegative(_ values: Float...) -> Bool { values.allSatisfy { $0.isFinite && $0 >= 0 } }
        switch self {
        case let .sgd(lr, momentum, nesterov, wd):
            try check(nonNegative(lr, momentum, wd), "hyperparameters must be finite and >= 0")
            try check(!nesterov || momentum > 0, "Nesterov momentum needs momentum > 0")
        case let .adam(lr, b1, b2, eps, wd, _), let .adamW(lr, b1, b2, eps, wd, _):
            try check(nonNegative(lr, eps, wd), "hyperparameters must be finite and >= 0")
            try check((0..<1).contains(b1) && (0..<1).contains(b2), "betas must be in [0, 1)")
        case let .rmsprop(lr, alpha, eps, wd, momentum, _):
            try check(nonNegative(lr, eps, wd, momentum), "hyperparameters must be finite and >= 0")
            try check((0..<1).contains(alpha), "alpha must be in [0, 1)")
        case let .adagrad(lr, decay, wd, initial, eps):
            try check(nonNegative(lr, decay, wd, initial, eps), "hyperparameters must be finite and >= 0")
        }
    }

    /// The optimizer over `parameters`.
    public func make(_ parameters: [Parameter]) -> any Optimizer {
        switch self {
        case let .sgd(lr, momentum, nesterov, wd):
            return SGD(parameters, learningRate: lr, momentum: momentum, nesterov: nesterov, weightDecay: wd)
        case let .adam(lr, b1, b2, eps, wd, ams):
            return Adam(parameters, learningRate: lr, beta1: b1, beta2: b2, epsilon: eps, weightDecay: wd, amsgrad: ams)
        case let .adamW(lr, b1, b2, eps, wd, ams):
            return AdamW(parameters, learningRate: lr, beta1: b1, beta2: b2, epsilon: eps, weightDecay: wd, amsgrad: ams)
        case let .rmsprop(lr, alpha, eps, wd, momentum, centered):
            return RMSprop(parameters, learningRate: lr, alpha: alpha, epsilon: eps, weightDecay: wd, momentum: momentum,
                           centered: centered)
        case let .adagrad(lr, decay, wd, initial, eps):
            return Adagrad(parameters, learningRate: lr, learningRateDecay: decay, weightDecay: wd,
                           initialAccumulatorValue: initial, epsilon: eps)
        }
    }
}

/// An optimizer that can describe itself, so that a model saved with it continues training
/// with the same kind and hyperparameters (the learning rate as it is now).
public protocol ConfigurableOptimizer: Optimizer {
    var configuration: OptimizerConfiguration { get }
}

extension SGD: ConfigurableOptimizer {
    public var configuration: OptimizerConfiguration {
        .sgd(learningRate: learningRate, momentum: momentum, nesterov: nesterov, weightDecay: weightDecay)
    }
}

extension Adam: ConfigurableOptimizer {
    public var configuration: OptimizerConfiguration {
        decoupledWeightDecay
            ? .adamW(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay, amsgrad: amsgrad)
            : .adam(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay, amsgrad: amsgrad)
    }
}

extension RMSprop: ConfigurableOptimizer {
    public var configuration: OptimizerConfiguration {
        .rmsprop(learningRate: learningRate, alpha: alpha, epsilon: epsilon, weightDecay: weightDecay, momentum: momentum,
                 centered: centered)
    }
}

extension Adagrad: ConfigurableOptimizer {
    public var configuration: OptimizerConfiguration {
        .adagrad(learningRate: learningRate, learningRateDecay: learningRateDecay, weightDecay: weightDecay,
                 initialAccumulatorValue: initialAccumulatorValue, epsilon: epsilon)
    }
}
