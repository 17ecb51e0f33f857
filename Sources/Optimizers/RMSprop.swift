import Layers
import TensorCore

/// RMSprop (Tieleman & Hinton, 2012), following PyTorch's `torch.optim.RMSprop`:
///
///     g ← g + λw;  v ← αv + (1-α)g²;  centered: ḡ ← αḡ + (1-α)g, d = √(v - ḡ²) + ε, else d = √v + ε
///     momentum μ > 0: b ← μb + g/d, w ← w - ηb;  otherwise w ← w - η g/d
///
/// PyTorch's defaults (α = 0.99, ε = 1e-8) differ from Keras's (ρ = 0.9, ε = 1e-7).
public final class RMSprop: Optimizer {
    public let parameters: [Parameter]
    public var learningRate: Float
    public let alpha: Float
    public let epsilon: Float
    public let weightDecay: Float
    public let momentum: Float
    public let centered: Bool
    private var squares = StateBuffers()
    private var averages = StateBuffers()
    private var velocity = StateBuffers()

    public init(_ parameters: [Parameter], learningRate: Float = 0.01, alpha: Float = 0.99, epsilon: Float = 1e-8,
                weightDecay: Float = 0, momentum: Float = 0, centered: Bool = false) {
        require(learningRate >= 0 && weightDecay >= 0 && momentum >= 0 && epsilon >= 0,
                     "RMSprop: hyperparameters must not be negative")
        require((0..<1).contains(alpha), "RMSprop: alpha must be in [0, 1)")
        self.parameters = parameters
        self.learningRate = learningRate
        self.alpha = alpha
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.momentum = momentum
        self.centered = centered
    }

    public func stateDictionary() -> [String: Tensor] {
        return squares.export("square_avg")
            .merging(averages.export("grad_avg")) { $1 }
            .merging(velocity.export("momentum_buffer")) { $1 }
    }

    public func loadStateDictionary(_ state: [String: Tensor]) throws {
        let shapes = parameterShapes
        try checkEntries(state, buffers: ["square_avg", "grad_avg", "momentum_buffer"], hasStep: false)
        try squares.load("square_avg", from: state, shapes: shapes, nonNegative: true)
        try averages.load("grad_avg", from: state, shapes: shapes)
        try velocity.load("momentum_buffer", from: state, shapes: shapes)
    }

    public func step() {
        forEachUpdate { index, w, g in
            Kernels.rmspropUpdate(&w, gradient: g, squares: &squares[index], averages: &averages[index], velocity: &velocity[index],
                                  centered: centered, learningRate: learningRate * parameters[index].learningRateScale, alpha: alpha, epsilon: epsilon,
                                  weightDecay: weightDecay, momentum: momentum)
        }
    }
}
