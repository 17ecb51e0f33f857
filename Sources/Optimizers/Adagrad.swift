import Layers
import TensorCore

/// Adagrad (Duchi et al., 2011), following PyTorch's `torch.optim.Adagrad`:
///
///     g ← g + λw;  η_t = η / (1 + (t-1)·decay);  s ← s + g²;  w ← w - η_t g / (√s + ε)
public final class Adagrad: Optimizer {
    public let parameters: [Parameter]
    public var learningRate: Float
    public let learningRateDecay: Float
    public let weightDecay: Float
    public let initialAccumulatorValue: Float
    public let epsilon: Float
    public private(set) var stepCount = 0
    private var sums = StateBuffers()

    public init(_ parameters: [Parameter], learningRate: Float = 0.01, learningRateDecay: Float = 0,
                weightDecay: Float = 0, initialAccumulatorValue: Float = 0, epsilon: Float = 1e-10) {
        require(learningRate >= 0 && weightDecay >= 0 && initialAccumulatorValue >= 0,
                     "Adagrad: hyperparameters must not be negative")
        self.parameters = parameters
        self.learningRate = learningRate
        self.learningRateDecay = learningRateDecay
        self.weightDecay = weightDecay
        self.initialAccumulatorValue = initialAccumulatorValue
        self.epsilon = epsilon
    }

    public func stateDictionary() -> [String: Tensor] {
        sums.export("sum").merging(Self.stepEntry(stepCount)) { $1 }
    }

    public func loadStateDictionary(_ state: [String: Tensor]) throws {
        try checkEntries(state, buffers: ["sum"], hasStep: true)
        let step = try Self.stepCount(in: state)
        try sums.load("sum", from: state, shapes: parameterShapes, nonNegative: true)
        stepCount = step
    }

    public func step() {
        stepCount += 1
        let lr = learningRate / (1 + Float(stepCount - 1) * learningRateDecay)
        forEachUpdate { index, w, g in
            Kernels.adagradUpdate(&w, gradient: g, sums: &sums[index], initial: initialAccumulatorValue, learningRate: lr * parameters[index].learningRateScale,
                                  epsilon: epsilon, weightDecay: weightDecay)
        }
    }
}
