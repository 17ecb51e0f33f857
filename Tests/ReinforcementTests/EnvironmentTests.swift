import Foundation
import Testing
@testable import Reinforcement

/// The environments' conventions; their dynamics against Gymnasium's are checked by
/// `Tests/rl/check_dynamics.py` in `.ci/run`.
@Suite struct EnvironmentTests {
    @Test func cartPoleFirstStepIsGymnasiumsEuler() {
        let env = CartPole()
        env.state = [0, 0, 0, 0]
        let (reward, terminated) = env.transition([1])
        // From rest a push of +10 N: temp = 10/1.1, θ̈ = -temp / (0.5 (4/3 - 0.1/1.1)), ẍ = temp - 0.05 θ̈ / 1.1.
        let temp = 10.0 / 1.1, thetaAcc = -temp / (0.5 * (4.0 / 3.0 - 0.1 / 1.1)), xAcc = temp - 0.05 * thetaAcc / 1.1
        #expect(env.state == [0, 0.02 * xAcc, 0, 0.02 * thetaAcc])
        #expect(reward == 1 && !terminated)
        env.state = [2.39, 1, 0, 0]
        #expect(env.transition([1]).terminated)   // x = 2.39 + 0.02 > 2.4
    }

    @Test func episodesTruncateAtTheTimeLimitAndSeedsRepeat() {
        let episode = Episode(Pendulum())
        let first = episode.reset(seed: 3)
        var last = EnvironmentStep(observation: [], reward: 0, terminated: false, truncated: false)
        var steps = 0
        while !(last.terminated || last.truncated) {
            last = episode.step([0.5])
            steps += 1
        }
        #expect(steps == 200 && last.truncated && !last.terminated)
        #expect(episode.reset(seed: 3) == first)
        #expect(episode.reset(seed: 4) != first)
        // Unseeded resets continue the generator: a new start each time.
        #expect(episode.reset() != episode.reset())
    }

    @Test func startStatesFollowGymnasiumsRanges() {
        let cartPole = CartPole(), acrobot = Acrobot(), car = MountainCar(), pendulum = Pendulum()
        for seed in 0..<50 as Range<UInt64> {
            #expect(cartPole.reset(seed: seed).allSatisfy { abs($0) <= 0.05 })
            _ = acrobot.reset(seed: seed)
            #expect(acrobot.state.allSatisfy { abs($0) <= 0.1 } && acrobot.observation.count == 6)
            let c = car.reset(seed: seed)
            #expect((-0.6 ... -0.4).contains(c[0]) && c[1] == 0)
            _ = pendulum.reset(seed: seed)
            #expect(abs(pendulum.state[0]) <= Double.pi && abs(pendulum.state[1]) <= 1)
        }
    }

    @Test func mountainCarStopsAtTheLeftWallAndTerminatesAtTheFlag() {
        let car = MountainCar()
        car.state = [-1.19, -0.05]
        _ = car.transition([0])
        #expect(car.state == [-1.2, 0])
        car.state = [0.49, 0.02]
        #expect(car.transition([2]) == (-1, true))
    }

    @Test func acrobotWrapsAnglesAndBoundsVelocities() {
        let env = Acrobot()
        env.state = [3.1, -3.1, 12, 28]
        _ = env.transition([2])
        #expect(env.state[0] >= -Double.pi && env.state[0] <= Double.pi && abs(env.state[2]) <= 4 * Double.pi && abs(env.state[3]) <= 9 * Double.pi)
        #expect(Acrobot.wrap(3 * Double.pi, -Double.pi, Double.pi) == Double.pi)
    }

    @Test func gridWorldRewardsTheGoalAndEndsInHoles() {
        let episode = Episode(GridWorld())
        _ = episode.reset()
        // right, right, down, down, down, right: 0 -> 1 -> 2 -> 6 -> 10 -> 14 -> 15.
        let path: [Double] = [2, 2, 1, 1, 1, 2]
        var rewards: [Double] = []
        for a in path { rewards.append(episode.step([a]).reward) }
        #expect(rewards == [0, 0, 0, 0, 0, 1] && episode.finished)
        _ = episode.reset()
        let hole = episode.step([1])   // 0 -> 4
        #expect(!hole.terminated)
        let fell = episode.step([2])   // 4 -> 5, a hole
        #expect(fell.terminated && fell.reward == 0)
        #expect(GridWorld().reset(seed: nil) == (0..<16).map { $0 == 0 ? 1 : 0 })
    }

    @Test func everyNamedEnvironmentIsMade() {
        for name in Environments.names {
            let env = Environments.make(name)
            #expect(env != nil && env!.reset(seed: 1).count == env!.observationSize)
        }
        #expect(Environments.make("pong") == nil)
    }
}
