import Foundation
import Testing
import Layers
import TensorCore
@testable import Reinforcement

@Suite struct AgentTests {
    @Test func qLearningFindsTheGridWorldsGoal() {
        let agent = QLearning(states: 16, actions: 4)
        agent.train(GridWorld(), steps: 20_000, seed: 1)
        let (mean, _) = evaluate(GridWorld(), episodes: 5, seed: 0) { [Double(agent.act($0))] }
        #expect(mean == 1)
        // The greedy path is a shortest one: 6 moves.
        let episode = Episode(GridWorld())
        var observation = episode.reset(), moves = 0
        while !episode.finished { observation = episode.step([Double(agent.act(observation))]).observation; moves += 1 }
        #expect(moves == 6)
    }

    @Test func dqnLearnsTheGridWorldAndRepeatsItsSeed() {
        var c = DQN.Configuration()
        (c.hidden, c.learningStarts, c.trainFrequency, c.gradientSteps, c.targetUpdateInterval, c.explorationFraction) = ([32], 200, 16, 8, 50, 0.5)
        func run() -> (DQN, [Double]) {
            let agent = DQN(observationSize: 16, actions: 4, configuration: c, seed: 3)
            var returns: [Double] = []
            agent.train(GridWorld(), steps: 4_000, seed: 3) { r, _ in returns.append(r) }
            return (agent, returns)
        }
        let (agent, returns) = run()
        #expect(evaluate(GridWorld(), episodes: 3, seed: 0) { [Double(agent.act($0))] }.mean == 1)
        #expect(run().1 == returns)   // same seed, same episodes
    }
}

@Suite struct PolicyGradientTests {
    @Test func gaeMatchesItsDefinitionAndLambdaOneIsTheDiscountedReturn() {
        var rollout = Rollout()
        // One copy, four steps; the episode ends after step 1 (index 1).
        for (r, d) in [(1.0, false), (2.0, true), (3.0, false), (4.0, false)] { rollout.append([[0]], [[0]], [r], [d]) }
        let values = [0.5, 0.25, -1, 2], last = [3.0], gamma = 0.9, lambda = 0.7
        let (advantages, returns) = rollout.advantages(values: values, last: last, gamma: gamma, lambda: lambda)
        let d3 = 4 + gamma * 3 - 2, d2 = 3 + gamma * 2 - -1, d1 = 2 - 0.25, d0 = 1 + gamma * 0.25 - 0.5
        let expected = [d0 + gamma * lambda * d1, d1, d2 + gamma * lambda * d3, d3]
        for k in 0..<4 {
            #expect(abs(advantages[k] - expected[k]) < 1e-12)
            #expect(abs(returns[k] - (expected[k] + values[k])) < 1e-12)
        }
        let (monteCarlo, _) = rollout.advantages(values: [0, 0, 0, 0], last: [0], gamma: gamma, lambda: 1)
        #expect(abs(monteCarlo[0] - (1 + gamma * 2)) < 1e-12 && abs(monteCarlo[2] - (3 + gamma * 4)) < 1e-12)
    }

    @Test func logProbabilitiesAndEntropiesAreTheDistributions() {
        let discrete = ActorCritic(observationSize: 3, actionSpace: .discrete(4), seed: 1)
        let x = Tensor([0.1, -0.2, 0.3, 1, 2, -1], shape: [2, 3])
        let (logProbability, entropy) = discrete.evaluate(x, actions: Tensor(integers: [2, 0], shape: [2, 1]))
        let logits = discrete.actor(x).scalars.map(Double.init)
        for (row, action) in [(0, 2), (1, 0)] {
            let z = logits[(row * 4)..<(row * 4 + 4)], top = z.max()!
            let logSum = top + log(z.map { exp($0 - top) }.reduce(0, +))
            #expect(abs(Double(logProbability.scalars[row]) - (z[row * 4 + action] - logSum)) < 1e-5)
            let h = -z.map { exp($0 - logSum) * ($0 - logSum) }.reduce(0, +)
            #expect(abs(Double(entropy.scalars[row]) - h) < 1e-5)
        }

        let gaussian = ActorCritic(observationSize: 3, actionSpace: .box(low: [-2, -2], high: [2, 2]), seed: 1)
        gaussian.logStd!.value = Tensor([0.5, -1], shape: [2])
        let a = Tensor([0.3, -0.4, 1, 2], shape: [2, 2])
        let (lp, h) = gaussian.evaluate(x, actions: a)
        let mu = gaussian.actor(x).scalars.map(Double.init)
        for row in 0..<2 {
            var expected = 0.0
            for (k, s) in [0.5, -1].enumerated() {
                let z = (Double(a.scalars[row * 2 + k]) - mu[row * 2 + k]) / exp(s)
                expected += -z * z / 2 - s - log(2 * Double.pi) / 2
            }
            #expect(abs(Double(lp.scalars[row]) - expected) < 1e-5)
            #expect(abs(Double(h.scalars[row]) - (0.5 + 0.5 * log(2 * Double.pi)) * 2 - 0.5 - -1) < 1e-5)
        }
    }

    /// Each algorithm learns the one-step task, and the same seed repeats its episodes exactly.
    @Test(arguments: [PolicyGradient.Algorithm.ppo, .a2c, .reinforce])
    func learnsTheDiscreteTaskAndRepeatsItsSeed(_ algorithm: PolicyGradient.Algorithm) {
        var c = PolicyGradient.Configuration()
        (c.algorithm, c.hidden, c.environments, c.rolloutSteps, c.batchSize, c.epochs) = (algorithm, [16], 4, 16, 32, 4)
        (c.learningRate, c.linearSchedule, c.normalizeAdvantage) = (algorithm == .ppo ? 3e-3 : 1e-2, false, algorithm == .ppo)
        func run() -> (PolicyGradient, [Double]) {
            let agent = PolicyGradient(observationSize: 1, actionSpace: .discrete(2), configuration: c, seed: 2)
            var returns: [Double] = []
            agent.train({ ReachTarget(discrete: true) }, steps: 3_000, seed: 2) { r, _ in returns.append(r) }
            return (agent, returns)
        }
        let (agent, returns) = run()
        #expect(returns.count >= 3_000)
        let (mean, _) = evaluate(ReachTarget(discrete: true), episodes: 200, seed: 9, policy: agent.greedyPolicy.callAsFunction)
        #expect(mean >= 0.95, "\(algorithm): greedy success \(mean)")
        #expect(run().1 == returns)
    }

    @Test func ppoLearnsAContinuousActionWithObservationNormalization() {
        var c = PolicyGradient.Configuration()
        (c.hidden, c.environments, c.rolloutSteps, c.batchSize, c.epochs, c.learningRate) = ([16], 4, 32, 64, 10, 3e-3)
        (c.linearSchedule, c.normalizeObservations) = (false, true)
        let agent = PolicyGradient(observationSize: 1, actionSpace: .box(low: [-1], high: [1]), configuration: c, seed: 4)
        agent.train({ ReachTarget() }, steps: 8_000, seed: 4) { _, _ in }
        #expect(agent.normalizer != nil)
        let (mean, _) = evaluate(ReachTarget(), episodes: 200, seed: 9, policy: agent.greedyPolicy.callAsFunction)
        #expect(mean > -0.01, "mean squared miss \(-mean)")
    }
}

@Suite struct SACTests {
    @Test func learnsAContinuousActionAndRepeatsItsSeed() {
        var c = SAC.Configuration()
        (c.hidden, c.batchSize, c.learningRate) = ([32, 32], 64, 3e-3)
        func run() -> (SAC, [Double]) {
            let agent = SAC(observationSize: 1, low: [-2], high: [2], configuration: c, seed: 5)
            var returns: [Double] = []
            agent.train(ReachTarget(), steps: 1_500, seed: 5) { r, _ in returns.append(r) }
            return (agent, returns)
        }
        let (agent, returns) = run()
        // The task's box is [-1, 1]; the agent's [-2, 2] is rescaled from its tanh, so 0 is the middle.
        let (mean, _) = evaluate(ReachTarget(), episodes: 200, seed: 9, policy: agent.greedyPolicy.callAsFunction)
        #expect(mean > -0.01, "mean squared miss \(-mean)")
        #expect(run().1 == returns)
    }
}

@Suite struct GreedyPolicyTests {
    @Test func metadataRoundTripsAndIsChecked() throws {
        let network = Sequential([Linear(4, 2)])
        let statistics = RunningStatistics(mean: [1, 2, 3, 4], variance: [1, 4, 9, 16], count: 7)
        let policy = GreedyPolicy(network: network, output: .argmax, actionSpace: .discrete(2), normalizer: statistics)
        let back = try GreedyPolicy(network: network, metadata: policy.metadata, environment: CartPole())
        #expect(back.normalizer == statistics && back.output == .argmax)
        let observation = [0.1, -0.3, 0.02, 0.5]
        #expect(back(observation) == policy(observation))
        for bad in [["policy_output": "softmax"], ["policy_output": "clip"],
                    ["policy_output": "argmax", "observation_normalization": #"{"mean": [1], "variance": [1], "count": 1}"#],
                    ["policy_output": "argmax", "observation_normalization": "{"]] {
            #expect(throws: (any Error).self) { try GreedyPolicy(network: network, metadata: bad, environment: CartPole()) }
        }
        #expect(throws: (any Error).self) { try GreedyPolicy(network: network, metadata: ["policy_output": "argmax"], environment: Pendulum()) }
    }

    @Test func theQTableIsALinearLayer() {
        let agent = QLearning(states: 16, actions: 4)
        agent.train(GridWorld(), steps: 5_000, seed: 1)
        let policy = agent.greedyPolicy
        let environment = GridWorld()
        for cell in 0..<16 {
            environment.state = [Double(cell)]
            #expect(policy(environment.observation) == [Double(agent.act(environment.observation))])
        }
    }

    @Test func recipesRefuseMismatchedPairs() {
        #expect(throws: Recipes.Invalid.self) { try Recipes.agent("dqn", for: Pendulum(), seed: 0) }
        #expect(throws: Recipes.Invalid.self) { try Recipes.agent("sac", for: CartPole(), seed: 0) }
        #expect(throws: Recipes.Invalid.self) { try Recipes.agent("qlearning", for: CartPole(), seed: 0) }
        #expect(throws: Recipes.Invalid.self) { try Recipes.agent("td3", for: CartPole(), seed: 0) }
        #expect((try? Recipes.agent("ppo", for: CartPole(), seed: 0))?.steps == 100_000)
    }
}
