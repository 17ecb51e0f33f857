import ArgumentParser
import DeepLearning
import Foundation

struct RLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rl", abstract: "Reinforcement learning: environments with Gymnasium's conventions.",
        subcommands: [RLStepCommand.self])
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
            guard state.count == size, state.allSatisfy(\.isFinite) else { fail("--input \(input): state \(k) must be \(size) finite numbers") }
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
