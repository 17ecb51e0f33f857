import TensorCore

/// Transitions in a ring of `capacity`, sampled uniformly (for DQN and SAC).
struct ReplayBuffer {
    struct Batch {
        /// `actions` is `[n, 1]` indices for a discrete space, `[n, actionSize]` values otherwise.
        let observations: Tensor, actions: Tensor, rewards: Tensor, nextObservations: Tensor, terminals: Tensor
    }

    let capacity: Int, observationSize: Int, actionSize: Int, discrete: Bool
    private var observations: [Float], next: [Float], actions: [Float], rewards: [Float], terminals: [Float]
    private(set) var count = 0
    private var position = 0

    init(capacity: Int, observationSize: Int, actionSize: Int, discrete: Bool) {
        (self.capacity, self.observationSize, self.actionSize, self.discrete) = (capacity, observationSize, actionSize, discrete)
        observations = [Float](repeating: 0, count: capacity * observationSize)
        next = observations
        actions = [Float](repeating: 0, count: capacity * actionSize)
        rewards = [Float](repeating: 0, count: capacity)
        terminals = rewards
    }

    /// One transition; `terminal` when the episode reached a terminal state (not a time limit).
    mutating func add(_ o: [Double], _ a: [Double], _ r: Double, _ n: [Double], terminal: Bool) {
        for k in 0..<observationSize {
            observations[position * observationSize + k] = Float(o[k])
            next[position * observationSize + k] = Float(n[k])
        }
        for k in 0..<actionSize { actions[position * actionSize + k] = Float(a[k]) }
        rewards[position] = Float(r)
        terminals[position] = terminal ? 1 : 0
        position = (position + 1) % capacity
        count = min(count + 1, capacity)
    }

    func sample(_ n: Int, using generator: inout RandomGenerator) -> Batch {
        let rows = (0..<n).map { _ in Int(generator.next() % UInt64(count)) }
        func gather(_ source: [Float], _ width: Int) -> [Float] {
            rows.flatMap { source[($0 * width)..<(($0 + 1) * width)] }
        }
        let chosen = gather(actions, actionSize)
        return Batch(observations: Tensor(gather(observations, observationSize), shape: [n, observationSize]),
                     actions: discrete ? Tensor(integers: chosen.map { Int($0) }, shape: [n, 1]) : Tensor(chosen, shape: [n, actionSize]),
                     rewards: Tensor(rows.map { rewards[$0] }, shape: [n, 1]),
                     nextObservations: Tensor(gather(next, observationSize), shape: [n, observationSize]),
                     terminals: Tensor(rows.map { terminals[$0] }, shape: [n, 1]))
    }
}
