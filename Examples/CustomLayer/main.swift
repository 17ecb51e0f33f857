// A layer of your own: parameters found by reflection, a configuration so that checkpoints can
// rebuild it, and a fused operation with its own backward rule through CustomOp.
// Run: swift run custom-layer-example
import DeepLearning

/// y = x · tanh(s) per feature, with a learned scale s: a gated identity.
final class TanhGate: Layer, ConfigurableLayer {
    static let typeName = "TanhGate"
    let features: Int
    let scale: Parameter

    init(_ features: Int) {
        self.features = features
        scale = Parameter(Tensor.ones([features]))
    }

    func callAsFunction(_ input: Tensor) -> Tensor { Tensor.custom(GatedProduct(), [input, scale.value]) }

    var description: String { "TanhGate(\(features))" }

    var configuration: [String: any Sendable] { ["features": features] }
    convenience init(configuration c: [String: any Sendable]) throws { self.init(try c.field("features", of: Self.typeName)) }
}

/// x · tanh(s) in one forward pass, with its gradient written by hand.
struct GatedProduct: CustomOp {
    var name: String { "gatedProduct" }
    func forward(_ inputs: [Tensor]) -> Tensor { inputs[0] * tanh(inputs[1]) }
    func gradients(_ g: Tensor, inputs: [Tensor], output: Tensor) -> [Tensor?] {
        let t = tanh(inputs[1])
        return [g * t, g * inputs[0] * (1 - t * t)]   // summed over the batch by backward()
    }
}

Random.seed(0)
let net = Sequential { Linear(4, 8); TanhGate(8); Linear(8, 1) }
let x = Tensor.normal([64, 4]), y = x.sum(along: 1, keepingDims: true)
let optimizer = Adam(net.trainableParameters, learningRate: 1e-2)
for step in 0..<200 {
    let loss = (net(x) - y).squared().mean()
    optimizer.zeroGrad()
    loss.backward()
    optimizer.step()
    if step % 50 == 0 || step == 199 { print("step \(step): loss \(loss.scalar)") }
}
print(net)
let copy = try net.copied()   // rebuilt from its configuration
print("copy agrees:", withoutGradients { copy(x).scalars == net(x).scalars })
