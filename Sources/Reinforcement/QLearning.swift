import Layers
import TensorCore

/// Tabular Q-learning (Watkins): a table of action values per state, updated toward
/// `r + γ max Q(s', ·)` (toward `r` at a terminal state) with step size `alpha`, acting
/// ε-greedily with ε falling linearly to `finalEpsilon` over `explorationFraction` of the run.
/// For environments with a finite state space: the state is the index of the observation's
/// largest value (a one-hot observation, such as `GridWorld`'s).
public final class QLearning {
    public var alpha = 0.1, gamma = 0.99, explorationFraction = 0.5, initialEpsilon = 1.0, finalEpsilon = 0.05
    public private(set) var table: [[Double]]

    public init(states: Int, actions: Int) {
        table = Array(repeating: Array(repeating: 0, count: actions), count: states)
    }

    static func index(_ observation: [Double]) -> Int { observation.indices.max { observation[$0] < observation[$1] }! }

    /// The greedy action; ties go to the lowest action.
    public func act(_ observation: [Double]) -> Int {
        let q = table[Self.index(observation)]
        return q.indices.max { q[$0] < q[$1] || (q[$0] == q[$1] && $0 > $1) }!
    }

    public func train(_ environment: any Environment, steps: Int, seed: UInt64, progress: (Double, Int) -> Void = { _, _ in }) {
        let loop = EpisodeLoop(environment, seed: seed)
        var generator = RandomGenerator(seed: seed)
        let actions = table[0].count
        for step in 0..<steps {
            let epsilon = linearDecay(step, of: steps, from: initialEpsilon, to: finalEpsilon, fraction: explorationFraction)
            let observation = loop.observation
            let action = uniform(&generator) < epsilon ? Int(generator.next() % UInt64(actions)) : act(observation)
            let result = loop.step([Double(action)], progress: progress)
            let (s, s2) = (Self.index(observation), Self.index(result.observation))
            let target = result.reward + (result.terminated ? 0 : gamma * table[s2].max()!)
            table[s][action] += alpha * (target - table[s][action])
        }
    }
}

extension QLearning: Agent {
    public func train(_ make: () -> any Environment, steps: Int, seed: UInt64, progress: (Double, Int) -> Void) {
        train(make(), steps: steps, seed: seed, progress: progress)
    }

    /// The table as a network: a bias-free linear layer whose weight is the table transposed, so a
    /// one-hot observation picks its state's row.
    public var greedyPolicy: GreedyPolicy {
        let layer = Linear(table.count, table[0].count, bias: false)
        layer.weight.value = Tensor((0..<table[0].count).flatMap { a in table.map { Float($0[a]) } }, shape: [table[0].count, table.count])
        return GreedyPolicy(network: layer, output: .argmax, actionSpace: .discrete(table[0].count))
    }
}
