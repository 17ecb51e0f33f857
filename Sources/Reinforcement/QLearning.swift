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
        let episode = Episode(environment)
        var generator = RandomGenerator(seed: seed)
        var observation = episode.reset(seed: seed), total = 0.0
        let actions = table[0].count, decay = max(1, Int(explorationFraction * Double(steps)))
        for step in 0..<steps {
            let epsilon = step >= decay ? finalEpsilon : initialEpsilon + (finalEpsilon - initialEpsilon) * Double(step) / Double(decay)
            let action = Double(generator.next() >> 11) / Double(1 << 53) < epsilon ? Int(generator.next() % UInt64(actions)) : act(observation)
            let result = episode.step([Double(action)])
            let (s, s2) = (Self.index(observation), Self.index(result.observation))
            let target = result.reward + (result.terminated ? 0 : gamma * table[s2].max()!)
            table[s][action] += alpha * (target - table[s][action])
            total += result.reward
            observation = result.observation
            if result.terminated || result.truncated {
                progress(total, step + 1)
                total = 0
                observation = episode.reset()
            }
        }
    }
}
