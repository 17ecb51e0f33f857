import ArgumentParser
import DeepLearning
import Foundation

struct RLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rl", abstract: "Reinforcement learning: environments with Gymnasium's conventions.",
        subcommands: [RLTrainCommand.self, RLPlayCommand.self, RLStepCommand.self])
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
        discussion: """
            Each (environment, algorithm) pair has a default recipe (README: "Reinforcement learning"). \
            --json prints mean_return_100, std_return_100, env_steps and train_seconds; --output saves the greedy \
            policy for `rl play`.
            """)

    @Option(help: "The environment: \(Environments.names.joined(separator: ", ")).") var env = "cartpole"
    @Option(help: "The algorithm: \(Recipes.algorithms.joined(separator: ", ")).") var algo = "dqn"
    @Option(parsing: .unconditional, help: "Environment steps (default: the recipe's).") var steps: Int?
    @Option(parsing: .unconditional, help: "Seed of the networks, exploration and episodes.") var seed: UInt64 = 0
    @Option(help: "Hidden layer sizes of the networks, comma-separated (default: the recipe's).") var hidden: String?
    @Option(parsing: .unconditional, help: "The learning rate (default: the recipe's).") var learningRate: Float?
    @Option(help: "Save the trained greedy policy to this safetensors file.") var output: String?
    @Option(help: "Draw the learning curve (episode returns) to this .svg or .png file.") var plot: String?
    @Flag(help: "Print one JSON object.") var json = false

    func hiddenSizes() -> [Int]? {
        guard let hidden else { return nil }
        let sizes = hidden.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, sizes.count <= 8, let valid = sizes as? [Int], valid.allSatisfy({ (1...4096).contains($0) }) else {
            fail("--hidden must be 1 to 8 sizes in 1...4096 separated by commas, like 64,64; got '\(hidden)'")
        }
        return valid
    }

    func validate() throws {
        guard Environments.names.contains(env) else {
            throw ValidationError("unknown environment '\(env)'; choose one of \(Environments.names.joined(separator: ", "))")
        }
        guard Recipes.algorithms.contains(algo) else {
            throw ValidationError("unknown algorithm '\(algo)'; choose one of \(Recipes.algorithms.joined(separator: ", "))")
        }
        if let steps { try check(steps, in: 1...100_000_000, "--steps") }
        if let learningRate, !(learningRate.isFinite && learningRate > 0 && learningRate <= 1) {
            throw ValidationError("--learning-rate must be in (0, 1], got \(learningRate)")
        }
        if let plot, !(plot.hasSuffix(".svg") || plot.hasSuffix(".png")) { throw ValidationError("--plot must name a .svg or .png file") }
        if let output, !output.hasSuffix(".safetensors") { throw ValidationError("--output must name a .safetensors file") }
    }

    func run() throws {
        let environment = Environments.make(env)!
        let (agent, defaultSteps): (any Agent, Int)
        do {
            (agent, defaultSteps) = try Recipes.agent(algo, for: environment, seed: seed, hidden: hiddenSizes(), learningRate: learningRate)
        } catch { fail("\(error)") }
        let total = steps ?? defaultSteps
        let start = ContinuousClock.now
        var episodes: [Double] = [], trained = 0
        agent.train({ Environments.make(env)! }, steps: total, seed: seed) { episodeReturn, step in
            episodes.append(episodeReturn)
            trained = max(trained, step)
            if !json && episodes.count % 10 == 0 {
                let recent = episodes.suffix(20), seconds = (ContinuousClock.now - start).inSeconds
                print(String(format: "step %d, episode %d: mean return of the last 20 %.1f, %.0f steps/s",
                             step, episodes.count, recent.reduce(0, +) / Double(recent.count), Double(step) / seconds))
            }
        }
        let seconds = (ContinuousClock.now - start).inSeconds
        let policy = agent.greedyPolicy
        let (mean, std) = evaluate(environment, episodes: 100, seed: seed &+ 1_000_000, policy: policy.callAsFunction)
        if let output {
            let metadata = policy.metadata.merging(["env": env, "algo": algo, "seed": String(seed), "env_steps": String(total),
                                                     "mean_return_100": String(mean)]) { $1 }
            do { try Checkpoint.save(policy.network, to: output, metadata: metadata, createDirectories: true) } catch {
                fail("--output \(output): \(error)")
            }
        }
        if let plot { try drawLearningCurve(episodes, title: "\(environment.id) \(algo), seed \(seed)", to: plot) }
        let fields: [String: Any] = ["env": environment.id, "algo": algo, "seed": seed, "env_steps": total, "train_seconds": seconds,
                                     "mean_return_100": mean, "std_return_100": std, "episodes": episodes.count]
        if json { report(fields) } else {
            print("\(environment.id) \(algo): " + String(format: "mean return %.1f ± %.1f over 100 episodes, trained %d steps in %.1f s",
                                                          mean, std, total, seconds))
        }
    }
}

/// Evaluates a policy saved by `rl train --output`.
struct RLPlayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "play", abstract: "Evaluate a saved agent's greedy policy.",
        discussion: "With the seed of its training run, 100 episodes give the mean_return_100 that `rl train` reported.")

    @Option(help: "A policy saved by `rl train --output`.") var checkpoint: String
    @Option(parsing: .unconditional, help: "Episodes to play.") var episodes = 100
    @Option(parsing: .unconditional, help: "Seed of the episodes (default: the training run's evaluation seeds).") var seed: UInt64?
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws { try check(episodes, in: 1...1_000_000, "--episodes") }

    func run() throws {
        let (network, metadata): (any Layer, [String: String])
        do { (network, metadata) = try Checkpoint.loadModel(checkpoint) } catch { fail("--checkpoint \(checkpoint): \(error)") }
        guard let env = metadata["env"], let environment = Environments.make(env) else {
            fail("--checkpoint \(checkpoint): not an `rl train` policy (its metadata names no known env)")
        }
        let policy: GreedyPolicy
        do { policy = try GreedyPolicy(network: network, metadata: metadata, environment: environment) } catch {
            fail("--checkpoint \(checkpoint): \(error)")
        }
        let outputs: Int
        switch environment.actionSpace {
        case .discrete(let n): outputs = n
        case .box(let low, _): outputs = low.count
        }
        guard let shaped = network as? any ShapeInferring,
              (try? shaped.outputShape(for: [1, environment.observationSize])) == [1, outputs] else {
            fail("--checkpoint \(checkpoint): the network does not map \(environment.id)'s observations to its actions")
        }
        let start = seed ?? ((metadata["seed"].flatMap { UInt64($0) } ?? 0) &+ 1_000_000)
        let (mean, std) = evaluate(environment, episodes: episodes, seed: start, policy: policy.callAsFunction)
        if json {
            report(["env": environment.id, "algo": metadata["algo"] ?? "", "episodes": episodes, "mean_return": mean, "std_return": std])
        } else {
            print("\(environment.id) \(metadata["algo"] ?? "agent"): " + String(format: "mean return %.1f ± %.1f over %d episodes", mean, std, episodes))
        }
    }
}

/// Episode returns and their moving mean over 20 episodes, against the episode number.
func drawLearningCurve(_ returns: [Double], title: String, to path: String) throws {
    let x = returns.indices.map { Double($0 + 1) }
    let mean = returns.indices.map { k in returns[max(0, k - 19)...k].reduce(0, +) / Double(k - max(0, k - 19) + 1) }
    let chart = LineChart(title: title, xLabel: "episode", yLabel: "return",
                          series: [Series("episode return", x: x, y: returns, width: 1), Series("mean of the last 20", x: x, y: mean)],
                          integerX: true)
    orFail { try chart.canvas().write(to: path) }
}
