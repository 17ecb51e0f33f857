import TensorCore

/// The actions an environment takes: one of `n` choices, or a vector within bounds.
public enum ActionSpace: Sendable, Equatable {
    case discrete(Int)
    case box(low: [Double], high: [Double])

    /// Values per action: 1 for a discrete choice, the vector's length for a box.
    public var dimension: Int {
        switch self {
        case .discrete: return 1
        case .box(let low, _): return low.count
        }
    }
}

/// What `step` returns, with Gymnasium's meaning: `terminated` when the task reached a terminal
/// state (the pole fell, the goal was reached), `truncated` when a time limit cut it short.
public struct EnvironmentStep: Sendable, Equatable {
    public var observation: [Double]
    public var reward: Double
    public var terminated: Bool
    public var truncated: Bool
    public init(observation: [Double], reward: Double, terminated: Bool, truncated: Bool) {
        self.observation = observation; self.reward = reward; self.terminated = terminated; self.truncated = truncated
    }
}

/// An environment with Gymnasium's conventions: `reset(seed:)` starts an episode and returns
/// the first observation; `step` advances it by one action. Actions are `[Double]`: one value
/// holding the index for a discrete space. Arithmetic is in double precision, as Gymnasium's
/// classic-control environments compute.
public protocol Environment: AnyObject {
    /// Gymnasium's id, such as `CartPole-v1`.
    var id: String { get }
    var observationSize: Int { get }
    var actionSpace: ActionSpace { get }
    /// The episode's time limit (Gymnasium's `max_episode_steps`), after which `truncated` is set.
    var maxEpisodeSteps: Int { get }
    /// The dynamics' state, settable to compare a step with another implementation's.
    var state: [Double] { get set }
    /// The observation of `state`.
    var observation: [Double] { get }

    /// A new episode; a seed reseeds the environment's generator, none continues its sequence.
    func reset(seed: UInt64?) -> [Double]
    /// One step of the dynamics from `state` (without the time limit: see `TimeLimit`).
    func transition(_ action: [Double]) -> (reward: Double, terminated: Bool)
}

extension Environment {
    public func reset() -> [Double] { reset(seed: nil) }
}

/// An environment and its episode's step count: `step` sets `truncated` at the time limit,
/// as Gymnasium's `TimeLimit` wrapper does, and refuses to step past the episode's end.
public final class Episode {
    public let environment: any Environment
    public private(set) var steps = 0
    public private(set) var finished = true

    public init(_ environment: any Environment) { self.environment = environment }

    public func reset(seed: UInt64? = nil) -> [Double] {
        steps = 0
        finished = false
        return environment.reset(seed: seed)
    }

    /// One step; call `reset` after a step that terminated or truncated.
    public func step(_ action: [Double]) -> EnvironmentStep {
        require(!finished, "\(environment.id): step after the episode ended; call reset() first")
        require(action.count == environment.actionSpace.dimension && action.allSatisfy(\.isFinite),
                "\(environment.id): an action is \(environment.actionSpace.dimension) finite value(s), got \(action)")
        if case .discrete(let n) = environment.actionSpace {
            require(action[0] == action[0].rounded() && (0..<Double(n)).contains(action[0]),
                    "\(environment.id): a discrete action is 0..<\(n), got \(action[0])")
        }
        let (reward, terminated) = environment.transition(action)
        steps += 1
        let truncated = !terminated && steps >= environment.maxEpisodeSteps
        finished = terminated || truncated
        return EnvironmentStep(observation: environment.observation, reward: reward, terminated: terminated, truncated: truncated)
    }
}

/// The environments by the names the command line takes.
public enum Environments {
    public static let names = ["cartpole", "acrobot", "mountaincar", "pendulum", "gridworld"]

    public static func make(_ name: String) -> (any Environment)? {
        switch name {
        case "cartpole": return CartPole()
        case "acrobot": return Acrobot()
        case "mountaincar": return MountainCar()
        case "pendulum": return Pendulum()
        case "gridworld": return GridWorld()
        default: return nil
        }
    }
}

/// Uniform draws in `[low, high)` in double precision from our generator.
struct Uniform {
    var generator: RandomGenerator
    init(seed: UInt64) { generator = RandomGenerator(seed: seed) }
    mutating func next(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * Double(generator.next() >> 11) / Double(1 << 53)
    }
}

/// One environment stepped without end, as an off-policy learner steps it: each episode that
/// ends is reported (its return and the total step count) and the next one begins at once.
final class EpisodeLoop {
    private let episode: Episode
    /// The observation the next action answers.
    private(set) var observation: [Double]
    private var total = 0.0, steps = 0

    init(_ environment: any Environment, seed: UInt64) {
        episode = Episode(environment)
        observation = episode.reset(seed: seed)
    }

    func step(_ action: [Double], progress: (Double, Int) -> Void) -> EnvironmentStep {
        let result = episode.step(action)
        total += result.reward
        steps += 1
        observation = result.observation
        if result.terminated || result.truncated {
            progress(total, steps)
            total = 0
            observation = episode.reset()
        }
        return result
    }
}

/// A value falling linearly from `initial` to `final` over the first `fraction` of `steps`
/// (Stable-Baselines3's exploration schedule), then staying at `final`.
func linearDecay(_ step: Int, of steps: Int, from initial: Double, to final: Double, fraction: Double) -> Double {
    let decay = max(1, Int(fraction * Double(steps)))
    return step >= decay ? final : initial + (final - initial) * Double(step) / Double(decay)
}
