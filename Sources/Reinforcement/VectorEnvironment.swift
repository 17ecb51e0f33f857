import TensorCore

/// What one step of `count` environments returns. An environment whose episode ended has been
/// reset already (Stable-Baselines3's convention, Gymnasium's `AutoresetMode.SAME_STEP`):
/// `observations` holds the new episode's first observation, `finalObservations` the last one of
/// the episode that ended (to bootstrap a truncated episode from), and `episodeReturns` and
/// `episodeLengths` its undiscounted return and length, as Gymnasium's `RecordEpisodeStatistics`
/// reports them.
public struct VectorStep {
    public var observations: [[Double]]
    public var rewards: [Double]
    public var terminated: [Bool]
    public var truncated: [Bool]
    public var finalObservations: [[Double]?]
    public var episodeReturns: [Double?]
    public var episodeLengths: [Int?]
}

/// `count` copies of an environment stepped together.
public protocol VectorEnvironment: AnyObject {
    var count: Int { get }
    var observationSize: Int { get }
    var actionSpace: ActionSpace { get }
    /// Resets every copy, copy `k` with seed `seed + k`.
    func reset(seed: UInt64) -> [[Double]]
    /// One action per copy.
    func step(_ actions: [[Double]]) -> VectorStep
}

/// Copies stepped one after another in this thread, each reset as soon as its episode ends.
public final class SyncVectorEnvironment: VectorEnvironment {
    public let episodes: [Episode]
    private var returns: [Double], lengths: [Int]

    /// `count` environments made by `make`.
    public init(count: Int, _ make: () -> any Environment) {
        require(count > 0, "SyncVectorEnvironment: count must be positive, got \(count)")
        episodes = (0..<count).map { _ in Episode(make()) }
        returns = Array(repeating: 0, count: count)
        lengths = Array(repeating: 0, count: count)
    }

    public var count: Int { episodes.count }
    public var observationSize: Int { episodes[0].environment.observationSize }
    public var actionSpace: ActionSpace { episodes[0].environment.actionSpace }

    public func reset(seed: UInt64) -> [[Double]] {
        returns = returns.map { _ in 0 }
        lengths = lengths.map { _ in 0 }
        return episodes.indices.map { episodes[$0].reset(seed: seed &+ UInt64($0)) }
    }

    public func step(_ actions: [[Double]]) -> VectorStep {
        require(actions.count == count, "SyncVectorEnvironment: \(count) actions needed, got \(actions.count)")
        var result = VectorStep(observations: [], rewards: [], terminated: [], truncated: [],
                                finalObservations: Array(repeating: nil, count: count),
                                episodeReturns: Array(repeating: nil, count: count), episodeLengths: Array(repeating: nil, count: count))
        for (k, episode) in episodes.enumerated() {
            let step = episode.step(actions[k])
            returns[k] += step.reward
            lengths[k] += 1
            var observation = step.observation
            if step.terminated || step.truncated {
                result.finalObservations[k] = observation
                result.episodeReturns[k] = returns[k]
                result.episodeLengths[k] = lengths[k]
                (returns[k], lengths[k]) = (0, 0)
                observation = episode.reset()
            }
            result.observations.append(observation)
            result.rewards.append(step.reward)
            result.terminated.append(step.terminated)
            result.truncated.append(step.truncated)
        }
        return result
    }
}

/// Running mean and variance (Chan et al.'s parallel update), as Stable-Baselines3's
/// `RunningMeanStd`: it starts from a count of 1e-4, mean 0 and variance 1.
public struct RunningStatistics: Sendable, Equatable {
    public private(set) var mean: [Double], variance: [Double], count: Double

    public init(size: Int) {
        mean = Array(repeating: 0, count: size)
        variance = Array(repeating: 1, count: size)
        count = 1e-4
    }

    /// Statistics restored from a checkpoint.
    public init(mean: [Double], variance: [Double], count: Double) {
        require(mean.count == variance.count && count > 0, "RunningStatistics: mean and variance of one size and a positive count")
        (self.mean, self.variance, self.count) = (mean, variance, count)
    }

    /// Adds a batch of rows.
    public mutating func update(_ rows: [[Double]]) {
        guard !rows.isEmpty else { return }
        let n = Double(rows.count)
        for j in mean.indices {
            let batchMean = rows.reduce(0) { $0 + $1[j] } / n
            let batchVariance = rows.reduce(0) { $0 + ($1[j] - batchMean) * ($1[j] - batchMean) } / n
            let delta = batchMean - mean[j], total = count + n
            let m2 = variance[j] * count + batchVariance * n + delta * delta * count * n / total
            mean[j] += delta * n / total
            variance[j] = m2 / total
        }
        count += n
    }

    /// `(x - mean) / sqrt(variance + epsilon)`, clipped to ±`clip`.
    public func normalize(_ x: [Double], clip: Double = 10, epsilon: Double = 1e-8) -> [Double] {
        x.indices.map { min(max((x[$0] - mean[$0]) / (variance[$0] + epsilon).squareRoot(), -clip), clip) }
    }
}

/// Observations normalized by their running statistics (Gymnasium's `NormalizeObservation`,
/// Stable-Baselines3's `VecNormalize`): the statistics follow every observation while
/// `training` is set and are frozen otherwise (for evaluation).
public final class NormalizeObservation: VectorEnvironment {
    public let wrapped: any VectorEnvironment
    public var statistics: RunningStatistics
    public var training = true
    public let clip: Double

    public init(_ wrapped: any VectorEnvironment, clip: Double = 10) {
        self.wrapped = wrapped
        self.clip = clip
        statistics = RunningStatistics(size: wrapped.observationSize)
    }

    public var count: Int { wrapped.count }
    public var observationSize: Int { wrapped.observationSize }
    public var actionSpace: ActionSpace { wrapped.actionSpace }

    public func reset(seed: UInt64) -> [[Double]] { normalized(wrapped.reset(seed: seed)) }

    public func step(_ actions: [[Double]]) -> VectorStep {
        var step = wrapped.step(actions)
        step.observations = normalized(step.observations)
        step.finalObservations = step.finalObservations.map { $0.map { statistics.normalize($0, clip: clip) } }
        return step
    }

    private func normalized(_ rows: [[Double]]) -> [[Double]] {
        if training { statistics.update(rows) }
        return rows.map { statistics.normalize($0, clip: clip) }
    }
}

/// Rewards divided by the running standard deviation of the discounted return (Gymnasium's
/// `NormalizeReward`, Stable-Baselines3's `VecNormalize`); episode statistics stay in the
/// environment's own units.
public final class NormalizeReward: VectorEnvironment {
    public let wrapped: any VectorEnvironment
    public private(set) var statistics = RunningStatistics(size: 1)
    public let gamma: Double, clip: Double
    private var discounted: [Double]

    public init(_ wrapped: any VectorEnvironment, gamma: Double = 0.99, clip: Double = 10) {
        self.wrapped = wrapped
        self.gamma = gamma
        self.clip = clip
        discounted = Array(repeating: 0, count: wrapped.count)
    }

    public var count: Int { wrapped.count }
    public var observationSize: Int { wrapped.observationSize }
    public var actionSpace: ActionSpace { wrapped.actionSpace }

    public func reset(seed: UInt64) -> [[Double]] {
        discounted = discounted.map { _ in 0 }
        return wrapped.reset(seed: seed)
    }

    public func step(_ actions: [[Double]]) -> VectorStep {
        var step = wrapped.step(actions)
        for k in discounted.indices { discounted[k] = discounted[k] * gamma + step.rewards[k] }
        statistics.update(discounted.map { [$0] })
        let scale = (statistics.variance[0] + 1e-8).squareRoot()
        step.rewards = step.rewards.map { min(max($0 / scale, -clip), clip) }
        for k in discounted.indices where step.terminated[k] || step.truncated[k] { discounted[k] = 0 }
        return step
    }
}
