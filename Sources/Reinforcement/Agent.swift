import Foundation
import Layers
import TensorCore

/// A deterministic policy as it is saved and played: a network from (normalized) observations
/// to action scores, and how those become an action.
public struct GreedyPolicy {
    /// How the network's output becomes an action.
    public enum Output: String, Sendable {
        /// The index of the largest output (discrete actions).
        case argmax
        /// The outputs clipped to the box.
        case clip
        /// Outputs in `[-1, 1]` rescaled to the box.
        case rescale
    }

    public let network: any Layer
    public let output: Output
    public let actionSpace: ActionSpace
    /// The running statistics observations are normalized by, if the agent trained on normalized ones.
    public let normalizer: RunningStatistics?

    public init(network: any Layer, output: Output, actionSpace: ActionSpace, normalizer: RunningStatistics? = nil) {
        (self.network, self.output, self.actionSpace, self.normalizer) = (network, output, actionSpace, normalizer)
    }

    public func callAsFunction(_ observation: [Double]) -> [Double] {
        let input = normalizer.map { $0.normalize(observation) } ?? observation
        let x = Tensor(input.map { Float($0) }, shape: [1, input.count])
        let y: [Double] = withoutGradients { network(x) }.scalars.map { Double($0) }
        switch (output, actionSpace) {
        case (.argmax, _): return [Double(y.indices.max { y[$0] < y[$1] }!)]
        case (.clip, _): return clippedToSpace(y, actionSpace)
        case (.rescale, .box(let low, let high)): return rescale(y, low, high)
        case (.rescale, .discrete): return y
        }
    }

    /// What a checkpoint's metadata holds besides the network: the output rule and the
    /// normalization statistics, as JSON strings.
    public var metadata: [String: String] {
        var m = ["policy_output": output.rawValue]
        if let normalizer {
            let json = try? JSONSerialization.data(withJSONObject: ["mean": normalizer.mean, "variance": normalizer.variance, "count": normalizer.count])
            m["observation_normalization"] = json.map { String(decoding: $0, as: UTF8.self) }
        }
        return m
    }

    /// The policy a checkpoint describes, its metadata checked against the environment.
    public init(network: any Layer, metadata: [String: String], environment: any Environment) throws {
        struct Invalid: Error, CustomStringConvertible { let description: String }
        guard let raw = metadata["policy_output"], let output = Output(rawValue: raw) else {
            throw Invalid(description: "policy_output must be argmax, clip or rescale")
        }
        var normalizer: RunningStatistics?
        if let text = metadata["observation_normalization"] {
            guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                  let mean = object["mean"] as? [Double], let variance = object["variance"] as? [Double],
                  let count = object["count"] as? Double,
                  mean.count == environment.observationSize, variance.count == mean.count,
                  mean.allSatisfy(\.isFinite), variance.allSatisfy({ $0.isFinite && $0 >= 0 }), count.isFinite, count > 0
            else { throw Invalid(description: "observation_normalization must hold \(environment.observationSize) finite means and variances and a count") }
            normalizer = RunningStatistics(mean: mean, variance: variance, count: count)
        }
        if case .discrete = environment.actionSpace, output != .argmax {
            throw Invalid(description: "\(environment.id) has discrete actions, so policy_output must be argmax")
        }
        if case .box = environment.actionSpace, output == .argmax {
            throw Invalid(description: "\(environment.id) has continuous actions; policy_output argmax does not fit")
        }
        self.init(network: network, output: output, actionSpace: environment.actionSpace, normalizer: normalizer)
    }
}

/// `a` in `[-1, 1]` mapped linearly onto `[low, high]`.
func rescale(_ a: [Double], _ low: [Double], _ high: [Double]) -> [Double] {
    a.indices.map { k in low[k] + (a[k] + 1) / 2 * (high[k] - low[k]) }
}

/// Sets `target`'s parameters to copies of `source`'s (a target network; the two have one architecture).
func copyParameters(of source: any Layer, into target: any Layer) {
    for ((_, from), (_, to)) in zip(source.namedParameters, target.namedParameters) { to.value = from.value.detached() }
}

/// An agent the command line trains: any of the algorithms behind one face.
public protocol Agent: AnyObject {
    /// Trains for (at least) `steps` environment steps on environments made by `make`;
    /// `progress` hears each finished episode's return and the step count.
    func train(_ make: () -> any Environment, steps: Int, seed: UInt64, progress: (Double, Int) -> Void)
    /// The deterministic policy: what is evaluated and saved.
    var greedyPolicy: GreedyPolicy { get }
}

extension DQN: Agent {
    public func train(_ make: () -> any Environment, steps: Int, seed: UInt64, progress: (Double, Int) -> Void) {
        train(make(), steps: steps, seed: seed, progress: progress)
    }
    public var greedyPolicy: GreedyPolicy { GreedyPolicy(network: network, output: .argmax, actionSpace: .discrete(actions)) }
}

extension SAC: Agent {
    public func train(_ make: () -> any Environment, steps: Int, seed: UInt64, progress: (Double, Int) -> Void) {
        train(make(), steps: steps, seed: seed, progress: progress)
    }
    public var greedyPolicy: GreedyPolicy { GreedyPolicy(network: greedyNetwork, output: .rescale, actionSpace: .box(low: low, high: high)) }
}

extension PolicyGradient: Agent {
    public func train(_ make: () -> any Environment, steps: Int, seed: UInt64, progress: (Double, Int) -> Void) {
        let environment = makeEnvironment(make)
        train(environment, steps: steps, seed: seed, progress: progress)
        normalizer = (environment as? NormalizeObservation)?.statistics
            ?? ((environment as? NormalizeReward)?.wrapped as? NormalizeObservation)?.statistics
    }
    public var greedyPolicy: GreedyPolicy {
        GreedyPolicy(network: policy.actor, output: policy.logStd == nil ? .argmax : .clip, actionSpace: policy.actionSpace, normalizer: normalizer)
    }
}
