import Foundation
import Layers
import Optimizers
import TensorCore

/// The on-policy actor-critic methods, one loop with three settings:
///
/// - **PPO** (Schulman et al. 2017), as Stable-Baselines3 runs it: rollouts of `rolloutSteps`
///   from each of the vector environment's copies, advantages by GAE(λ), then `epochs` passes of
///   shuffled minibatches over the clipped surrogate `min(r A, clip(r, 1 ± ε) A)`, with the value
///   loss, an entropy bonus, per-minibatch advantage normalization and gradient-norm clipping.
/// - **A2C** (Mnih et al. 2016): one gradient step per rollout on the whole of it with RMSprop.
///   That is PPO with one epoch and one minibatch: the ratio is then exactly 1, so the clipped
///   surrogate's gradient is the policy gradient `A ∇log π`.
/// - **REINFORCE with a baseline** (Williams 1992): rollouts of whole episodes, Monte Carlo
///   returns (GAE with λ = 1 and nothing bootstrapped but time limits), the value network as the
///   baseline, one step per rollout.
///
/// A time limit is not a terminal state: a truncated episode's last reward is credited with
/// `γ V(s_last)`, as Stable-Baselines3 does.
public final class PolicyGradient {
    public enum Algorithm: String, Sendable { case reinforce, a2c, ppo }

    public struct Configuration: Sendable {
        public var algorithm: Algorithm = .ppo
        public var hidden = [64, 64]
        public var environments = 8
        /// Steps per copy per rollout; for REINFORCE, the least (whole episodes are completed).
        public var rolloutSteps = 32
        public var batchSize = 256
        public var epochs = 20
        public var gamma = 0.98
        public var gaeLambda = 0.8
        public var learningRate: Float = 1e-3
        /// The learning rate and the clip range fall linearly to 0 over the run (the RL Zoo's `lin_`).
        public var linearSchedule = true
        public var clipRange: Float = 0.2
        public var entropyCoefficient: Float = 0
        public var valueCoefficient: Float = 0.5
        public var maxGradientNorm: Float = 0.5
        public var normalizeAdvantage = true
        public var normalizeObservations = false
        public var normalizeRewards = false
        public init() {}
    }

    public let configuration: Configuration
    public let policy: ActorCritic
    private let optimizer: any Optimizer
    /// The observation statistics of the last training environment, if it normalized observations.
    public internal(set) var normalizer: RunningStatistics?

    public init(observationSize: Int, actionSpace: ActionSpace, configuration: Configuration, seed: UInt64) {
        self.configuration = configuration
        policy = ActorCritic(observationSize: observationSize, actionSpace: actionSpace, hidden: configuration.hidden, seed: seed)
        optimizer = configuration.algorithm == .a2c
            ? RMSprop(policy.parameters, learningRate: configuration.learningRate, alpha: 0.99, epsilon: 1e-5)
            : Adam(policy.parameters, learningRate: configuration.learningRate, epsilon: 1e-5)
    }

    /// The training environment the configuration asks for: `environments` copies, normalized
    /// when it says so.
    public func makeEnvironment(_ make: () -> any Environment) -> any VectorEnvironment {
        var environment: any VectorEnvironment = SyncVectorEnvironment(count: configuration.algorithm == .reinforce ? 1 : configuration.environments, make)
        if configuration.normalizeObservations { environment = NormalizeObservation(environment) }
        if configuration.normalizeRewards { environment = NormalizeReward(environment, gamma: configuration.gamma) }
        return environment
    }

    /// Trains for at least `steps` environment steps (whole rollouts); `progress` hears each
    /// finished episode's return and the step count.
    public func train(_ environment: any VectorEnvironment, steps: Int, seed: UInt64, progress: (Double, Int) -> Void = { _, _ in }) {
        let c = configuration
        var generator = RandomGenerator(seed: seed &+ 1)
        var observations = environment.reset(seed: seed)
        var done = 0
        while done < steps {
            let remaining = 1 - Double(done) / Double(steps)
            var rollout = Rollout()
            while rollout.steps < c.rolloutSteps || (c.algorithm == .reinforce && !rollout.endsEpisodes) {
                let actions = policy.act(observations, using: &generator)
                let step = environment.step(actions.map { clippedToSpace($0, policy.actionSpace) })
                var rewards = step.rewards
                let truncated = step.finalObservations.indices.filter { step.truncated[$0] && !step.terminated[$0] }
                if !truncated.isEmpty {
                    let finals = truncated.map { step.finalObservations[$0]! }
                    let v = withoutGradients { policy.values(ActorCritic.tensor(finals, width: policy.observationSize)) }.scalars
                    for (k, index) in truncated.enumerated() { rewards[index] += c.gamma * Double(v[k]) }
                }
                rollout.append(observations, actions, rewards, step.terminated.indices.map { step.terminated[$0] || step.truncated[$0] })
                observations = step.observations
                done += environment.count
                for (k, r) in step.episodeReturns.enumerated() where r != nil { progress(r!, done - environment.count + k + 1) }
            }
            update(rollout, last: observations, remaining: remaining, generator: &generator)
        }
    }

    private func update(_ rollout: Rollout, last: [[Double]], remaining: Double, generator: inout RandomGenerator) {
        let c = configuration
        let n = rollout.observations.count, width = policy.observationSize
        let observations = ActorCritic.tensor(rollout.observations, width: width)
        let actionWidth = rollout.actions[0].count
        let actions = policy.logStd == nil
            ? Tensor(integers: rollout.actions.map { Int($0[0]) }, shape: [n, 1])
            : ActorCritic.tensor(rollout.actions, width: actionWidth)
        let (values, oldLogProbability) = withoutGradients {
            (policy.values(observations).scalars, policy.evaluate(observations, actions: actions).logProbability.scalars)
        }
        let lastValues = withoutGradients { policy.values(ActorCritic.tensor(last, width: width)) }.scalars
        let lambda = c.algorithm == .reinforce ? 1.0 : c.gaeLambda
        let (advantages, returns) = rollout.advantages(values: values.map(Double.init), last: lastValues.map(Double.init),
                                                       gamma: c.gamma, lambda: lambda)
        if c.linearSchedule { optimizer.learningRate = c.learningRate * Float(remaining) }
        let clip = c.linearSchedule ? c.clipRange * Float(remaining) : c.clipRange
        let ppo = c.algorithm == .ppo
        let batchSize = ppo ? min(c.batchSize, n) : n
        for _ in 0..<(ppo ? c.epochs : 1) {
            var order = Array(0..<n)
            if ppo { order.shuffle(using: &generator) }
            // Stable-Baselines3's minibatches: the last one holds what is left.
            for start in stride(from: 0, to: n, by: batchSize) {
                let rows = Array(order[start..<min(start + batchSize, n)]), batch = rows.count
                var advantage = rows.map { advantages[$0] }
                if c.normalizeAdvantage && ppo && batch > 1 {
                    let mean = advantage.reduce(0, +) / Double(batch)
                    let std = (advantage.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(batch - 1)).squareRoot()
                    advantage = advantage.map { ($0 - mean) / (std + 1e-8) }
                }
                let a = Tensor(advantage.map(Float.init), shape: [batch])
                let index = Tensor(integers: rows, shape: [batch])
                let (x, chosen) = (observations.selecting(along: 0, indices: index), actions.selecting(along: 0, indices: index))
                let (logProbability, entropy) = policy.evaluate(x, actions: chosen)
                let ratio = exp(logProbability - Tensor(rows.map { oldLogProbability[$0] }, shape: [batch]))
                let surrogate = minimum(ratio * a, ratio.clamped(min: 1 - clip, max: 1 + clip) * a)
                let target = Tensor(rows.map { Float(returns[$0]) }, shape: [batch])
                let valueLoss = (policy.values(x) - target).squared().mean()
                var loss = -surrogate.mean() + c.valueCoefficient * valueLoss
                if c.entropyCoefficient != 0 { loss = loss - c.entropyCoefficient * entropy.mean() }
                optimizer.zeroGrad()
                loss.backward()
                _ = clipGradients(policy.parameters, maxNorm: c.maxGradientNorm)
                optimizer.step()
            }
        }
    }
}

/// One rollout, step-major: row `t * copies + k` is copy `k` at step `t`.
struct Rollout {
    var observations: [[Double]] = [], actions: [[Double]] = [], rewards: [Double] = [], dones: [Bool] = []
    var copies = 0, steps = 0

    /// Whether every copy's last step ended an episode.
    var endsEpisodes: Bool { steps > 0 && dones.suffix(copies).allSatisfy { $0 } }

    mutating func append(_ o: [[Double]], _ a: [[Double]], _ r: [Double], _ d: [Bool]) {
        copies = o.count
        observations += o; actions += a; rewards += r; dones += d
        steps += 1
    }

    /// GAE(λ) advantages and the returns `A + V`, as Stable-Baselines3 computes them.
    func advantages(values: [Double], last: [Double], gamma: Double, lambda: Double) -> ([Double], [Double]) {
        var advantages = [Double](repeating: 0, count: values.count)
        for k in 0..<copies {
            var running = 0.0
            for t in stride(from: steps - 1, through: 0, by: -1) {
                let i = t * copies + k
                let next = t == steps - 1 ? last[k] : values[i + copies]
                let continues = dones[i] ? 0.0 : 1.0
                let delta = rewards[i] + gamma * next * continues - values[i]
                running = delta + gamma * lambda * continues * running
                advantages[i] = running
            }
        }
        return (advantages, zip(advantages, values).map(+))
    }
}
