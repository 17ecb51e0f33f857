import Foundation
import Layers
import Optimizers
import TensorCore

/// Soft actor-critic (Haarnoja et al. 2018) as Stable-Baselines3 runs it, for a box action space:
/// a tanh-squashed Gaussian actor, twin Q-critics on `[observation, action]` with target copies
/// moved by Polyak averaging (`tau`), the smaller of the two target values in the soft Bellman
/// target, and the entropy temperature `α` learned toward a target entropy of `-dim(A)`.
/// Actions are learned in `[-1, 1]` and rescaled to the space's bounds; before `learningStarts`
/// they are drawn uniformly.
///
/// The defaults are Stable-Baselines3's with the RL Zoo's Pendulum-v1 learning rate (1e-3).
public final class SAC {
    public struct Configuration: Sendable {
        public var hidden = [256, 256]
        public var learningRate: Float = 1e-3
        public var bufferSize = 1_000_000
        public var learningStarts = 100
        public var batchSize = 256
        public var tau: Float = 0.005
        public var gamma = 0.99
        public var trainFrequency = 1
        public var gradientSteps = 1
        public var initialTemperature: Float = 1
        public init() {}
    }

    public let configuration: Configuration
    /// The actor's body and its two heads: the mean and the log standard deviation (clamped to [-20, 2]).
    public let body: Sequential, mean: Linear, logStd: Linear
    public let critics: [Sequential]
    private let targets: [Sequential]
    private let logTemperature: Parameter
    private let actorOptimizer: Adam, criticOptimizer: Adam, temperatureOptimizer: Adam
    public let observationSize: Int
    public let low: [Double], high: [Double]

    public init(observationSize: Int, low: [Double], high: [Double], configuration: Configuration = Configuration(), seed: UInt64) {
        require(!low.isEmpty && low.count == high.count, "SAC: a box of at least one dimension")
        self.configuration = configuration
        self.observationSize = observationSize
        (self.low, self.high) = (low, high)
        let d = low.count, c = configuration
        func mlp(_ inputs: Int, _ outputs: Int?) -> Sequential {
            var layers: [any Layer] = [], width = inputs
            for h in c.hidden { layers += [Linear(width, h), ReLU()]; width = h }
            return Sequential(layers + (outputs.map { [Linear(width, $0)] } ?? []))
        }
        (body, mean, logStd, critics) = Random.withSeed(seed) {
            (mlp(observationSize, nil), Linear(c.hidden.last ?? observationSize, d), Linear(c.hidden.last ?? observationSize, d),
             [mlp(observationSize + d, 1), mlp(observationSize + d, 1)])
        }
        targets = [mlp(observationSize + d, 1), mlp(observationSize + d, 1)]
        for (target, critic) in zip(targets, critics) { copyParameters(of: critic, into: target) }
        logTemperature = Parameter(Tensor([Float(log(Double(c.initialTemperature)))], shape: [1]))
        actorOptimizer = Adam(body.trainableParameters + mean.trainableParameters + logStd.trainableParameters, learningRate: c.learningRate)
        criticOptimizer = Adam(critics.flatMap(\.trainableParameters), learningRate: c.learningRate)
        temperatureOptimizer = Adam([logTemperature], learningRate: c.learningRate)
    }

    /// The deterministic policy: `tanh` of the mean, in `[-1, 1]`.
    public var greedyNetwork: Sequential { Sequential(body.layers + [mean, Tanh()]) }

    /// An action in the space's bounds from one in `[-1, 1]`.
    public func rescaled(_ a: [Double]) -> [Double] { rescale(a, low, high) }

    /// A reparameterized draw for each observation, in `[-1, 1]`, and its log-probability `[n, 1]`.
    private func sample(_ observations: Tensor, noise: Tensor) -> (Tensor, Tensor) {
        let h = body(observations)
        let (mu, logSigma) = (mean(h), logStd(h).clamped(min: -20, max: 2))
        let u = mu + exp(logSigma) * noise
        let action = tanh(u)
        let halfLog2π = Float(0.5 * log(2 * Double.pi))
        let gaussian = (noise * noise * -0.5 - logSigma - halfLog2π).sum(along: [1], keepingDims: true)
        let squash = log(1 - action * action + 1e-6).sum(along: [1], keepingDims: true)
        return (action, gaussian - squash)
    }

    private func noise(_ n: Int, _ generator: inout RandomGenerator) -> Tensor {
        Tensor((0..<(n * low.count)).map { _ in Float(gaussian(&generator)) }, shape: [n, low.count])
    }

    private static func q(_ network: Sequential, _ observations: Tensor, _ actions: Tensor) -> Tensor {
        network(Tensor.concat([observations, actions], along: 1))
    }

    /// Trains on `environment` for `steps` steps; `progress` hears each finished episode's return.
    public func train(_ environment: any Environment, steps: Int, seed: UInt64, progress: (Double, Int) -> Void = { _, _ in }) {
        let c = configuration, d = low.count
        let loop = EpisodeLoop(environment, seed: seed)
        var generator = RandomGenerator(seed: seed &+ 1)
        var buffer = ReplayBuffer(capacity: min(c.bufferSize, steps), observationSize: observationSize, actionSize: d, discrete: false)
        for step in 0..<steps {
            let observation = loop.observation, action: [Double]
            if step < c.learningStarts {
                action = (0..<d).map { _ in uniform(&generator) * 2 - 1 }
            } else {
                let x = Tensor(observation.map(Float.init), shape: [1, observationSize])
                action = withoutGradients { sample(x, noise: noise(1, &generator)).0 }.scalars.map(Double.init)
            }
            let result = loop.step(rescaled(action), progress: progress)
            buffer.add(observation, action, result.reward, result.observation, terminal: result.terminated)
            if step + 1 > c.learningStarts && (step + 1) % c.trainFrequency == 0 {
                for _ in 0..<c.gradientSteps { update(buffer.sample(c.batchSize, using: &generator), &generator) }
            }
        }
    }

    private func update(_ batch: ReplayBuffer.Batch, _ generator: inout RandomGenerator) {
        let c = configuration, n = batch.rewards.shape[0]
        let targetEntropy = -Float(low.count)
        // The temperature: raise α while the policy's entropy is below the target.
        let (action, logProbability) = sample(batch.observations, noise: noise(n, &generator))
        let temperatureLoss = -(logTemperature.value * (logProbability.detached() + targetEntropy)).mean()
        temperatureOptimizer.zeroGrad()
        temperatureLoss.backward()
        temperatureOptimizer.step()
        let alpha = exp(logTemperature.value).detached()

        let target = withoutGradients { () -> Tensor in
            let (nextAction, nextLogProbability) = sample(batch.nextObservations, noise: noise(n, &generator))
            let nextQ = minimum(Self.q(targets[0], batch.nextObservations, nextAction), Self.q(targets[1], batch.nextObservations, nextAction))
            return batch.rewards + Float(c.gamma) * (1 - batch.terminals) * (nextQ - alpha * nextLogProbability)
        }
        let criticLoss = critics.map { meanSquaredError(Self.q($0, batch.observations, batch.actions), target) }.reduce(Tensor(0), +) * 0.5
        criticOptimizer.zeroGrad()
        criticLoss.backward()
        criticOptimizer.step()

        let q = minimum(Self.q(critics[0], batch.observations, action), Self.q(critics[1], batch.observations, action))
        let actorLoss = (alpha * logProbability - q).mean()
        actorOptimizer.zeroGrad()
        actorLoss.backward()
        actorOptimizer.step()

        withoutGradients {
            for (t, p) in zip(targets, critics) {
                for ((_, tp), (_, pp)) in zip(t.namedParameters, p.namedParameters) {
                    tp.value = tp.value * (1 - c.tau) + pp.value * c.tau
                }
            }
        }
    }
}
