import ArgumentParser
import DeepLearning
import Foundation

struct RLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rl", abstract: "Reinforcement learning: environments with Gymnasium's conventions.",
        subcommands: [RLTrainCommand.self, RLStepCommand.self])
}

/// Steps an environment from given states: how its dynamics are compared with Gymnasium's
/// (`Tests/rl/check_dynamics.py`).
struct RLStepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "step",
        abstract: "Step an environment once from each of the states and actions in a JSON file.",
        discussion: """
            Input: {"states": [[...], ...], "actions": [[...], ...]}; output, one JSON object: per state the next state, \
            observation, reward and whether it terminated.
            """)

    @Option(help: "The environment: \(Environments.names.joined(separator: ", ")).") var env: String
    @Option(help: "The JSON file of states and actions.") var input: String

    func validate() throws {
        guard Environments.names.contains(env) else {
            throw ValidationError("unknown environment '\(env)'; choose one of \(Environments.names.joined(separator: ", "))")
        }
    }

    func run() throws {
        let environment = Environments.make(env)!
        guard let data = FileManager.default.contents(atPath: input) else { fail("--input \(input): cannot read the file") }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let states = object["states"] as? [[Double]], let actions = object["actions"] as? [[Double]], states.count == actions.count
        else { fail("--input \(input): needs \"states\" and \"actions\", two lists of number lists of the same length") }
        let size = environment.state.count, actionSize = environment.actionSpace.dimension
        var next: [[Double]] = [], observations: [[Double]] = [], rewards: [Double] = [], terminated: [Bool] = []
        for (k, (state, action)) in zip(states, actions).enumerated() {
            // Within ±10⁶ (Acrobot wraps its angles by whole turns), a grid world's cell one of its 16.
            guard state.count == size, state.allSatisfy({ abs($0) <= 1e6 }),
                  !(environment is GridWorld) || (state[0] == state[0].rounded() && (0..<16).contains(state[0])) else {
                fail("--input \(input): state \(k) must be \(size) numbers within ±10^6" + (environment is GridWorld ? ", a cell 0...15" : ""))
            }
            guard action.count == actionSize, action.allSatisfy(\.isFinite) else { fail("--input \(input): action \(k) must be \(actionSize) finite number(s)") }
            if case .discrete(let n) = environment.actionSpace, !(action[0] == action[0].rounded() && (0..<Double(n)).contains(action[0])) {
                fail("--input \(input): action \(k) must be one of 0..<\(n)")
            }
            environment.state = state
            let (reward, done) = environment.transition(action)
            next.append(environment.state)
            observations.append(environment.observation)
            rewards.append(reward)
            terminated.append(done)
        }
        report(["env": environment.id, "next_states": next, "observations": observations, "rewards": rewards, "terminated": terminated])
    }
}

struct RLTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an agent, then evaluate its greedy policy over 100 episodes.",
        discussion: "--json prints mean_return_100, std_return_100, env_steps and train_seconds.")

    @Option(help: "The environment: \(Environments.names.joined(separator: ", ")).") var env = "cartpole"
    @Option(help: "The algorithm: dqn.") var algo = "dqn"
    @Option(parsing: .unconditional, help: "Environment steps (default: the recipe's).") var steps: Int?
    @Option(parsing: .unconditional, help: "Seed of the network, exploration and episodes.") var seed: UInt64 = 0
    @Option(help: "Hidden layer sizes of the Q-network, comma-separated (default: the recipe's).") var hidden: String?
    @Option(parsing: .unconditional, help: "Adam's learning rate (default: the recipe's).") var learningRate: Float?
    @Flag(help: "Print one JSON object.") var json = false

    /// The recipe with the flags applied.
    func recipe() -> DQN.Configuration {
        var c = DQN.Configuration()
        if let hidden {
            let sizes = hidden.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !sizes.isEmpty, sizes.count <= 8, let valid = sizes as? [Int], valid.allSatisfy({ (1...4096).contains($0) }) else {
                fail("--hidden must be 1 to 8 sizes in 1...4096 separated by commas, like 64,64; got '\(hidden)'")
            }
            c.hidden = valid
        }
        if let learningRate {
            guard learningRate.isFinite, learningRate > 0, learningRate <= 1 else { fail("--learning-rate must be in (0, 1], got \(learningRate)") }
            c.learningRate = learningRate
        }
        return c
    }

    func validate() throws {
        guard Environments.names.contains(env) else {
            throw ValidationError("unknown environment '\(env)'; choose one of \(Environments.names.joined(separator: ", "))")
        }
        guard algo == "dqn" else { throw ValidationError("unknown algorithm '\(algo)'; choose dqn") }
        if let steps { try check(steps, in: 1...100_000_000, "--steps") }
    }

    func run() throws {
        let environment = Environments.make(env)!
        guard case .discrete(let actions) = environment.actionSpace else { fail("dqn needs discrete actions; \(environment.id) has continuous ones") }
        let agent = DQN(observationSize: environment.observationSize, actions: actions, configuration: recipe(), seed: seed)
        let total = steps ?? 50_000
        let start = ContinuousClock.now
        var episodes = 0, recent: [Double] = []
        agent.train(environment, steps: total, seed: seed) { episodeReturn, step in
            episodes += 1
            recent = Array((recent + [episodeReturn]).suffix(20))
            if !json && episodes % 10 == 0 {
                let seconds = (ContinuousClock.now - start).inSeconds
                print(String(format: "step %d, episode %d: mean return of the last 20 %.1f, %.0f steps/s",
                             step, episodes, recent.reduce(0, +) / Double(recent.count), Double(step) / seconds))
            }
        }
        let seconds = (ContinuousClock.now - start).inSeconds
        let (mean, std) = evaluate(environment, episodes: 100, seed: seed &+ 1_000_000) { [Double(agent.act($0))] }
        let fields: [String: Any] = ["env": environment.id, "algo": algo, "seed": seed, "env_steps": total, "train_seconds": seconds,
                                     "mean_return_100": mean, "std_return_100": std]
        if json { report(fields) } else {
            print("\(environment.id) \(algo): " + String(format: "mean return %.1f ± %.1f over 100 episodes, trained %d steps in %.1f s",
                                                          mean, std, total, seconds))
        }
    }
}
