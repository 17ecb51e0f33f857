import Layers
import TensorCore

/// Adam (Kingma & Ba, 2015) with optional AMSGrad, following PyTorch's `torch.optim.Adam`
/// (`weightDecay` adds λw to the gradient) or, with `decoupledWeightDecay`, `AdamW` (Loshchilov &
/// Hutter, 2019: w ← w - ηλw before the Adam step):
///
///     m ← β₁m + (1-β₁)g;  v ← β₂v + (1-β₂)g²;  w ← w - η (m / (1-β₁ᵗ)) / (√(v / (1-β₂ᵗ)) + ε)
public class Adam: Optimizer {
    public let parameters: [Parameter]
    public var learningRate: Float
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let weightDecay: Float
    public let decoupledWeightDecay: Bool
    public let amsgrad: Bool
    /// Updates taken so far.
    public private(set) var stepCount = 0
    private var beta1Power: Float = 1
    private var beta2Power: Float = 1
    private var firstMoments = StateBuffers()
    private var secondMoments = StateBuffers()
    private var maxSecondMoments = StateBuffers()

    public init(_ parameters: [Parameter], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0, decoupledWeightDecay: Bool = false,
                amsgrad: Bool = false) {
        require(learningRate >= 0 && weightDecay >= 0 && epsilon >= 0, "Adam: hyperparameters must not be negative")
        require((0..<1).contains(beta1) && (0..<1).contains(beta2), "Adam: betas must be in [0, 1)")
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
        self.amsgrad = amsgrad
    }

    public func stateDictionary() -> [String: Tensor] {
        return firstMoments.export("exp_avg")
            .merging(secondMoments.export("exp_avg_sq")) { $1 }
            .merging(maxSecondMoments.export("max_exp_avg_sq")) { $1 }
            .merging(Self.stepEntry(stepCount)) { $1 }
    }

    public func loadStateDictionary(_ state: [String: Tensor]) throws {
        let shapes = parameterShapes
        stepCount = try Self.stepCount(in: state)
        try firstMoments.load("exp_avg", from: state, shapes: shapes)
        try secondMoments.load("exp_avg_sq", from: state, shapes: shapes)
        try maxSecondMoments.load("max_exp_avg_sq", from: state, shapes: shapes)
        beta1Power = 1
        beta2Power = 1
        for _ in 0..<stepCount {
            beta1Power *= beta1
            beta2Power *= beta2
        }
    }

    public func step() {
        stepCount += 1
        beta1Power *= beta1
        beta2Power *= beta2
        forEachUpdate { index, w, g in
            Kernels.adamUpdate(
                &w, gradient: g, firstMoment: &firstMoments[index], secondMoment: &secondMoments[index],
                maxSecondMoment: &maxSecondMoments[index], amsgrad: amsgrad, learningRate: learningRate, beta1: beta1,
                beta2: beta2, epsilon: epsilon, weightDecay: weightDecay, decoupled: decoupledWeightDecay,
                correction1: 1 - beta1Power, correction2: 1 - beta2Power)
        }
    }
}

/// Adam with decoupled weight decay (PyTorch's `AdamW`, default decay 0.01): w ← w - ηλw before
/// the Adam step.
public final class AdamW: Adam {
    public init(_ parameters: [Parameter], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0.01, amsgrad: Bool = false) {
        super.init(parameters, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                   weightDecay: weightDecay, decoupledWeightDecay: true, amsgrad: amsgrad)
    }
}
