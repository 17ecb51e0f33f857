import TensorCore

/// The default recipe of each (environment, algorithm) pair: the RL Zoo's hyperparameters where
/// it has them, with the changes BENCHMARKS.md measures, and Stable-Baselines3's defaults
/// otherwise.
public enum Recipes {
    public static let algorithms = ["qlearning", "dqn", "reinforce", "a2c", "ppo", "sac"]

    public struct Invalid: Error, CustomStringConvertible { public let description: String }

    /// The agent and its default step count for `algorithm` on `environment`, with the network's
    /// hidden sizes and the learning rate replaced when given.
    public static func agent(_ algorithm: String, for environment: any Environment, seed: UInt64,
                             hidden: [Int]? = nil, learningRate: Float? = nil) throws -> (agent: any Agent, steps: Int) {
        let name = environment.id
        switch (algorithm, environment.actionSpace) {
        case ("qlearning", .discrete(let n)):
            guard environment is GridWorld else { throw Invalid(description: "qlearning needs a finite state space: use --env gridworld") }
            guard hidden == nil, learningRate == nil else { throw Invalid(description: "qlearning has no network: --hidden and --learning-rate do not apply") }
            return (QLearning(states: environment.observationSize, actions: n), 20_000)
        case ("dqn", .discrete(let n)):
            var c = DQN.Configuration(), steps = 50_000
            if name == "MountainCar-v0" {
                // The RL Zoo's MountainCar-v0 recipe (not double, as SB3's DQN), with a dueling head.
                (c.hidden, c.learningRate, c.batchSize, c.bufferSize, c.gamma) = ([256, 256], 4e-3, 128, 10_000, 0.98)
                (c.targetUpdateInterval, c.trainFrequency, c.gradientSteps) = (600, 16, 8)
                (c.explorationFraction, c.explorationFinal, steps) = (0.2, 0.07, 120_000)
                (c.double, c.dueling) = (false, true)
            }
            if let hidden { c.hidden = hidden }
            if let learningRate { c.learningRate = learningRate }
            return (DQN(observationSize: environment.observationSize, actions: n, configuration: c, seed: seed), steps)
        case ("sac", .box(let low, let high)):
            var c = SAC.Configuration()
            if let hidden { c.hidden = hidden }
            if let learningRate { c.learningRate = learningRate }
            return (SAC(observationSize: environment.observationSize, low: low, high: high, configuration: c, seed: seed), 20_000)
        case ("reinforce", _), ("a2c", _), ("ppo", _):
            var (c, steps) = policyGradient(PolicyGradient.Algorithm(rawValue: algorithm)!, name)
            if let hidden { c.hidden = hidden }
            if let learningRate { c.learningRate = learningRate }
            return (PolicyGradient(observationSize: environment.observationSize, actionSpace: environment.actionSpace, configuration: c, seed: seed), steps)
        case ("dqn", .box), ("qlearning", .box):
            throw Invalid(description: "\(algorithm) needs discrete actions; \(name) has continuous ones (try sac or ppo)")
        case ("sac", .discrete):
            throw Invalid(description: "sac needs continuous actions; \(name) has discrete ones (try dqn or ppo)")
        default:
            throw Invalid(description: "unknown algorithm '\(algorithm)'; choose one of \(algorithms.joined(separator: ", "))")
        }
    }

    static func policyGradient(_ algorithm: PolicyGradient.Algorithm, _ name: String) -> (PolicyGradient.Configuration, Int) {
        var c = PolicyGradient.Configuration()
        c.algorithm = algorithm
        switch (algorithm, name) {
        case (.ppo, "CartPole-v1"):
            // The RL Zoo's: 8 copies, 32 steps, minibatches of 256, 20 epochs, γ 0.98, λ 0.8, linear 1e-3 and 0.2.
            return (c, 100_000)
        case (.ppo, "Acrobot-v1"):
            // The RL Zoo's (normalized observations and rewards, 16 copies of 256 steps, 4 epochs), for fewer steps.
            (c.normalizeObservations, c.normalizeRewards, c.environments, c.rolloutSteps, c.batchSize, c.epochs) = (true, true, 16, 256, 64, 4)
            (c.gamma, c.gaeLambda, c.learningRate, c.linearSchedule) = (0.99, 0.94, 3e-4, false)
            return (c, 200_000)
        case (.ppo, _):
            // Stable-Baselines3's defaults.
            (c.environments, c.rolloutSteps, c.batchSize, c.epochs, c.gamma, c.gaeLambda) = (1, 2048, 64, 10, 0.99, 0.95)
            (c.learningRate, c.linearSchedule) = (3e-4, false)
            return (c, 200_000)
        case (.a2c, _):
            // Stable-Baselines3's A2C: 5-step rollouts, RMSprop at 7e-4, γ 0.99, no GAE; the RL Zoo's 8 copies.
            (c.environments, c.rolloutSteps, c.gamma, c.gaeLambda, c.learningRate, c.linearSchedule) = (8, 5, 0.99, 1, 7e-4, false)
            c.normalizeAdvantage = false
            return (c, 200_000)
        case (.reinforce, _):
            // Whole episodes, one at a time, Adam at 1e-3.
            (c.rolloutSteps, c.gamma, c.learningRate, c.linearSchedule, c.normalizeAdvantage) = (1, 0.99, 1e-3, false, false)
            return (c, 100_000)
        }
    }
}
