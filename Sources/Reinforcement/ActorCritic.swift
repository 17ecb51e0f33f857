import Foundation
import Layers
import TensorCore

/// A stochastic policy and a value function, two separate networks as Stable-Baselines3's
/// `MlpPolicy` builds them for PPO and A2C: tanh hidden layers, orthogonal initialization (gain
/// √2 for hidden layers, 0.01 for the action layer, 1 for the value layer), zero biases.
///
/// For a discrete space the actor gives logits of a categorical distribution; for a box, the
/// means of a diagonal Gaussian whose log standard deviations are parameters of their own
/// (`logStd`, independent of the state, starting at 0).
public final class ActorCritic {
    public let actor: Sequential, critic: Sequential
    public let logStd: Parameter?
    public let actionSpace: ActionSpace
    public let observationSize: Int

    public init(observationSize: Int, actionSpace: ActionSpace, hidden: [Int] = [64, 64], seed: UInt64) {
        self.observationSize = observationSize
        self.actionSpace = actionSpace
        let outputs: Int
        switch actionSpace {
        case .discrete(let n): outputs = n; logStd = nil
        case .box(let low, _): outputs = low.count; logStd = Parameter(Tensor.zeros([low.count]))
        }
        (actor, critic) = Random.withSeed(seed) {
            (Self.network(observationSize, hidden, outputs, gain: 0.01), Self.network(observationSize, hidden, 1, gain: 1))
        }
    }

    static func network(_ inputs: Int, _ hidden: [Int], _ outputs: Int, gain: Float) -> Sequential {
        var layers: [any Layer] = []
        var width = inputs
        for h in hidden {
            layers += [Linear(width, h, weightInitializer: .orthogonal(gain: Float(2).squareRoot()), biasInitializer: .zeros), Tanh()]
            width = h
        }
        return Sequential(layers + [Linear(width, outputs, weightInitializer: .orthogonal(gain: gain), biasInitializer: .zeros)])
    }

    public var parameters: [Parameter] { actor.trainableParameters + critic.trainableParameters + (logStd.map { [$0] } ?? []) }

    static func tensor(_ rows: [[Double]], width: Int) -> Tensor {
        Tensor(rows.flatMap { $0.map(Float.init) }, shape: [rows.count, width])
    }

    /// Values of the observations, `[n]`.
    public func values(_ observations: Tensor) -> Tensor { critic(observations).reshaped(to: [-1]) }

    /// Log-probabilities of `actions` (`[n, 1]` indices or `[n, d]` vectors), `[n]`, and the
    /// distributions' entropies, `[n]`.
    public func evaluate(_ observations: Tensor, actions: Tensor) -> (logProbability: Tensor, entropy: Tensor) {
        let out = actor(observations)
        if let logStd {
            let std = exp(logStd.value)
            let z = (actions - out) / std
            let halfLog2π = Float(0.5 * log(2 * Double.pi))
            let logProbability = (z * z * -0.5 - logStd.value - halfLog2π).sum(along: [1])
            let entropy = (logStd.value + (0.5 + halfLog2π)).sum().expanded(to: Shape([observations.shape[0]]))
            return (logProbability, entropy)
        }
        let logits = logSoftmax(out, along: 1)
        let logProbability = logits.gathering(along: 1, indices: actions).reshaped(to: [-1])
        let entropy = -(exp(logits) * logits).sum(along: [1])
        return (logProbability, entropy)
    }

    /// One action per observation drawn from the policy, as it is stored (a Gaussian draw is not
    /// clipped here), with its log-probability; or the most likely action when `deterministic`.
    public func act(_ observations: [[Double]], deterministic: Bool = false, using generator: inout RandomGenerator) -> [[Double]] {
        let out = withoutGradients { actor(Self.tensor(observations, width: observationSize)) }
        let width = out.shape[1], values = out.scalars
        return observations.indices.map { row in
            let x = values[(row * width)..<((row + 1) * width)].map(Double.init)
            switch actionSpace {
            case .discrete:
                if deterministic { return [Double(x.indices.max { x[$0] < x[$1] }!)] }
                let top = x.max()!, weights = x.map { Foundation.exp($0 - top) }
                var u = uniform(&generator) * weights.reduce(0, +)
                for (k, w) in weights.enumerated() {
                    u -= w
                    if u < 0 { return [Double(k)] }
                }
                return [Double(weights.count - 1)]
            case .box:
                if deterministic { return x }
                let std = logStd!.value.scalars.map { Foundation.exp(Double($0)) }
                return x.indices.map { x[$0] + std[$0] * gaussian(&generator) }
            }
        }
    }
}

/// An action as the environment takes it: a Gaussian draw clipped to the box.
func clippedToSpace(_ action: [Double], _ space: ActionSpace) -> [Double] {
    guard case .box(let low, let high) = space else { return action }
    return action.indices.map { min(max(action[$0], low[$0]), high[$0]) }
}

func uniform(_ generator: inout RandomGenerator) -> Double { Double(generator.next() >> 11) / Double(1 << 53) }

/// A standard normal draw (Box–Muller).
func gaussian(_ generator: inout RandomGenerator) -> Double {
    let u = 1 - uniform(&generator), v = uniform(&generator)
    return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
}
