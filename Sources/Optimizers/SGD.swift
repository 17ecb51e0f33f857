import Layers
import TensorCore

/// Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay,
/// following PyTorch's `torch.optim.SGD`:
///
///     g ← g + λ w;  b ← μ b + g (b = g on the first step);  d = nesterov ? g + μ b : b;  w ← w - η d
public final class SGD: Optimizer {
    public let parameters: [Parameter]
    public var learningRate: Float
    public let momentum: Float
    public let nesterov: Bool
    public let weightDecay: Float
    private var velocity = StateBuffers()

    public init(_ parameters: [Parameter], learningRate: Float, momentum: Float = 0, nesterov: Bool = false,
                weightDecay: Float = 0) {
        require(learningRate >= 0 && momentum >= 0 && weightDecay >= 0, "SGD: hyperparameters must not be negative")
        require(!nesterov || momentum > 0, "SGD: Nesterov momentum needs momentum > 0")
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    public func stateDictionary() -> [String: Tensor] {
        velocity.export("momentum_buffer")
    }

    public func loadStateDictionary(_ state: [String: Tensor]) throws {
        try checkEntries(state, buffers: ["momentum_buffer"], hasStep: false)
        try velocity.load("momentum_buffer", from: state, shapes: parameterShapes)
    }

    public func step() {
        forEachUpdate { index, w, g in
            Kernels.sgdUpdate(&w, gradient: g, velocity: &velocity[index], learningRate: learningRate * parameters[index].learningRateScale, momentum: momentum,
                              nesterov: nesterov, weightDecay: weightDecay)
        }
    }
}
