import Foundation
import Testing
@testable import Reinforcement

/// A one-step task for the agents' tests: the observation is a target in [-0.8, 0.8]; the reward
/// of an action is minus its squared distance from the target (a box), or 1 for the action
/// whose sign matches the target's (two discrete actions).
final class ReachTarget: Environment {
    let discrete: Bool
    var state: [Double] = [0]
    private var uniform = Uniform(seed: 0)
    init(discrete: Bool = false) { self.discrete = discrete }
    var id: String { "ReachTarget" }
    var observationSize: Int { 1 }
    var actionSpace: ActionSpace { discrete ? .discrete(2) : .box(low: [-1], high: [1]) }
    var maxEpisodeSteps: Int { 1 }
    var observation: [Double] { state }
    func reset(seed: UInt64?) -> [Double] {
        if let seed { uniform = Uniform(seed: seed) }
        state = [uniform.next(-0.8, 0.8)]
        return state
    }
    func transition(_ action: [Double]) -> (reward: Double, terminated: Bool) {
        if discrete { return ((action[0] == 1) == (state[0] > 0) ? 1 : 0, true) }
        return (-(action[0] - state[0]) * (action[0] - state[0]), true)
    }
}

@Suite struct VectorEnvironmentTests {
    @Test func copiesResetThemselvesAndReportTheirEpisodes() {
        let vector = SyncVectorEnvironment(count: 3) { CartPole() }
        let first = vector.reset(seed: 5)
        // Copy k is seeded with seed + k, as one environment reset with that seed.
        for k in 0..<3 { #expect(first[k] == CartPole().reset(seed: 5 + UInt64(k))) }
        var returns = [0.0, 0, 0], finished = 0
        let reference = Episode(CartPole())
        var referenceObservation = reference.reset(seed: 5)
        for _ in 0..<200 {
            let step = vector.step([[0], [1], [0]])
            // Copy 0 matches a single environment stepped alike, reset after each episode.
            let single = reference.step([0])
            if single.terminated || single.truncated {
                #expect(step.finalObservations[0] == single.observation)
                referenceObservation = reference.reset()
            } else {
                referenceObservation = single.observation
            }
            #expect(step.observations[0] == referenceObservation)
            for k in 0..<3 {
                returns[k] += step.rewards[k]
                #expect((step.episodeReturns[k] != nil) == (step.terminated[k] || step.truncated[k]))
                if let r = step.episodeReturns[k] {
                    #expect(r == returns[k] && step.episodeLengths[k] == Int(r))
                    returns[k] = 0
                    finished += 1
                }
            }
        }
        #expect(finished > 10)
    }

    @Test func runningStatisticsAgreeWithTheWholeSample() {
        var statistics = RunningStatistics(size: 2)
        var rows: [[Double]] = [], uniform = Uniform(seed: 3)
        for _ in 0..<50 {
            let batch = (0..<4).map { _ in [uniform.next(-1, 3), uniform.next(10, 20)] }
            statistics.update(batch)
            rows += batch
        }
        for j in 0..<2 {
            let mean = rows.reduce(0) { $0 + $1[j] } / 200
            let variance = rows.reduce(0) { $0 + ($1[j] - mean) * ($1[j] - mean) } / 200
            // The prior count of 1e-4 moves them by about 1e-4 / 200 of the prior's distance.
            #expect(abs(statistics.mean[j] - mean) < 1e-5 * max(1, abs(mean)))
            #expect(abs(statistics.variance[j] - variance) < 1e-4 * max(1, mean * mean))
        }
        #expect(statistics.normalize([1e9, -1e9]) == [10, -10])
    }

    @Test func normalizationWrappersScaleWhatTheAgentSeesOnly() {
        let vector = NormalizeReward(NormalizeObservation(SyncVectorEnvironment(count: 2) { MountainCar() }), gamma: 0.99)
        _ = vector.reset(seed: 0)
        var scaled: [Double] = []
        for _ in 0..<300 {
            let step = vector.step([[0], [2]])
            scaled += step.rewards
            #expect(step.observations.allSatisfy { $0.allSatisfy { abs($0) <= 10 } })
            for r in step.episodeReturns where r != nil { #expect(r == -200) }   // the raw return
        }
        // Every reward is -1: divided by the running deviation of the discounted return, not -1.
        #expect(scaled.allSatisfy { $0 < 0 && $0 != -1 })
        let inner = vector.wrapped as! NormalizeObservation
        #expect(inner.statistics.count > 600 && abs(inner.statistics.mean[0] + 0.5) < 0.3)
    }
}
