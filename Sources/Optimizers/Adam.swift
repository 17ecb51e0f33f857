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
            .merging(["beta1_power": Tensor([beta1Power], shape: []), "beta2_power": Tensor([beta2Power], shape: [])]) { $1 }
    }

    public func loadStateDictionary(_ state: [String: Tensor]) throws {
        let shapes = parameterShapes
        try checkEntries(state, buffers: ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"], scalars: ["beta1_power", "beta2_power"],
                         hasStep: true)
        let step = try Self.stepCount(in: state)
        // β^step as the steps multiplied it: saved since the file format has them, else rebuilt
        // by as many multiplications (bounded, so a huge count cannot hang the load).
        var powers: (Float, Float) = (1, 1)
        if let p1 = state["beta1_power"], let p2 = state["beta2_power"] {
            guard p1.dtype == .float32, p2.dtype == .float32, p1.scalarCount == 1, p2.scalarCount == 1,
                  (0...1).contains(p1.scalars[0]), (0...1).contains(p2.scalars[0])
            else { throw OptimizerStateError(description: "beta1_power and beta2_power must be float32 scalars in [0, 1]") }
            powers = (p1.scalars[0], p2.scalars[0])
        } else {
            guard step <= 1 << 27 else {
                throw OptimizerStateError(description: "step count \(step) without beta1_power and beta2_power is too large to replay")
            }
            for _ in 0..<step { powers = (powers.0 * beta1, powers.1 * beta2) }
        }
        try firstMoments.load("exp_avg", from: state, shapes: shapes)
        try secondMoments.load("exp_avg_sq", from: state, shapes: shapes, nonNegative: true)
        try maxSecondMoments.load("max_exp_avg_sq", from: state, shapes: shapes, nonNegative: true)
        (stepCount, beta1Power, beta2Power) = (step, powers.0, powers.1)
    }

    public func step() {
        stepCount += 1
        beta1Power *= beta1
        beta2Power *= beta2
        forEachUpdate { index, w, g in
            Kernels.adamUpdate(
                &w, gradient: g, firstMoment: &firstMoments[index], secondMoment: &secondMoments[index],
                maxSecondMoment: &maxSecondMoments[index], amsgrad: amsgrad, learningRate: learningRate * parameters[index].learningRateScale, beta1: beta1,
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
