import Foundation

// Gymnasium's classic-control environments (gymnasium/envs/classic_control), their equations
// and constants as Gymnasium writes them, in double precision as it computes. Start states are
// drawn from our own generator: the same seed gives the same episode here, not Gymnasium's.

/// CartPole-v1: push a cart left (0) or right (1) to keep the pole up; +1 per step, the episode
/// ends when the pole leans past 12° or the cart leaves ±2.4; 500 steps at most.
public final class CartPole: Environment {
    public let id = "CartPole-v1"
    public let observationSize = 4
    public let actionSpace = ActionSpace.discrete(2)
    public let maxEpisodeSteps = 500
    public var state: [Double] = [0, 0, 0, 0]
    private var uniform = Uniform(seed: 0)

    static let gravity = 9.8, massCart = 1.0, massPole = 0.1, totalMass = 1.1, length = 0.5
    static let poleMassLength = 0.05, forceMagnitude = 10.0, tau = 0.02
    static let thetaThreshold = 12 * 2 * Double.pi / 360, xThreshold = 2.4

    public init() {}

    public var observation: [Double] { state }

    public func reset(seed: UInt64?) -> [Double] {
        if let seed { uniform = Uniform(seed: seed) }
        state = (0..<4).map { _ in uniform.next(-0.05, 0.05) }
        return observation
    }

    public func transition(_ action: [Double]) -> (reward: Double, terminated: Bool) {
        var (x, xDot, theta, thetaDot) = (state[0], state[1], state[2], state[3])
        let force = action[0] == 1 ? Self.forceMagnitude : -Self.forceMagnitude
        let cosTheta = cos(theta), sinTheta = sin(theta)
        let temp = (force + Self.poleMassLength * thetaDot * thetaDot * sinTheta) / Self.totalMass
        let thetaAcc = (Self.gravity * sinTheta - cosTheta * temp)
            / (Self.length * (4.0 / 3.0 - Self.massPole * cosTheta * cosTheta / Self.totalMass))
        let xAcc = temp - Self.poleMassLength * thetaAcc * cosTheta / Self.totalMass
        // Euler, in Gymnasium's order.
        x += Self.tau * xDot
        xDot += Self.tau * xAcc
        theta += Self.tau * thetaDot
        thetaDot += Self.tau * thetaAcc
        state = [x, xDot, theta, thetaDot]
        let terminated = x < -Self.xThreshold || x > Self.xThreshold || theta < -Self.thetaThreshold || theta > Self.thetaThreshold
        return (1, terminated)
    }
}

/// Acrobot-v1: torque -1, 0 or +1 (actions 0, 1, 2) on the joint of a two-link pendulum to swing
/// its tip above the bar; -1 per step until it does; 500 steps at most. Integrated with RK4 over
/// 0.2 s, the "book" dynamics.
public final class Acrobot: Environment {
    public let id = "Acrobot-v1"
    public let observationSize = 6
    public let actionSpace = ActionSpace.discrete(3)
    public let maxEpisodeSteps = 500
    /// θ₁, θ₂, θ̇₁, θ̇₂.
    public var state: [Double] = [0, 0, 0, 0]
    private var uniform = Uniform(seed: 0)

    static let dt = 0.2, linkLength1 = 1.0, linkMass1 = 1.0, linkMass2 = 1.0
    static let linkCenter1 = 0.5, linkCenter2 = 0.5, linkMoment = 1.0
    static let maxVelocity1 = 4 * Double.pi, maxVelocity2 = 9 * Double.pi
    static let torques: [Double] = [-1, 0, 1]

    public init() {}

    public var observation: [Double] { [cos(state[0]), sin(state[0]), cos(state[1]), sin(state[1]), state[2], state[3]] }

    public func reset(seed: UInt64?) -> [Double] {
        if let seed { uniform = Uniform(seed: seed) }
        state = (0..<4).map { _ in uniform.next(-0.1, 0.1) }
        return observation
    }

    public func transition(_ action: [Double]) -> (reward: Double, terminated: Bool) {
        let torque = Self.torques[Int(action[0])]
        var next = Self.rk4(state + [torque], dt: Self.dt)
        next[0] = Self.wrap(next[0], -Double.pi, Double.pi)
        next[1] = Self.wrap(next[1], -Double.pi, Double.pi)
        next[2] = min(max(next[2], -Self.maxVelocity1), Self.maxVelocity1)
        next[3] = min(max(next[3], -Self.maxVelocity2), Self.maxVelocity2)
        state = next
        let terminated = -cos(state[0]) - cos(state[1] + state[0]) > 1.0
        return (terminated ? 0 : -1, terminated)
    }

    static func wrap(_ x: Double, _ low: Double, _ high: Double) -> Double {
        let range = high - low
        var x = x
        while x > high { x -= range }
        while x < low { x += range }
        return x
    }

    /// The derivatives of (θ₁, θ₂, θ̇₁, θ̇₂, torque).
    static func derivatives(_ s: [Double]) -> [Double] {
        let (m1, m2, l1, lc1, lc2, i1, i2, g) = (linkMass1, linkMass2, linkLength1, linkCenter1, linkCenter2, linkMoment, linkMoment, 9.8)
        let (a, theta1, theta2, dtheta1, dtheta2) = (s[4], s[0], s[1], s[2], s[3])
        let d1 = m1 * lc1 * lc1 + m2 * (l1 * l1 + lc2 * lc2 + 2 * l1 * lc2 * cos(theta2)) + i1 + i2
        let d2 = m2 * (lc2 * lc2 + l1 * lc2 * cos(theta2)) + i2
        let phi2 = m2 * lc2 * g * cos(theta1 + theta2 - Double.pi / 2.0)
        let phi1 = -m2 * l1 * lc2 * dtheta2 * dtheta2 * sin(theta2) - 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin(theta2)
            + (m1 * lc1 + m2 * l1) * g * cos(theta1 - Double.pi / 2) + phi2
        let ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * dtheta1 * dtheta1 * sin(theta2) - phi2) / (m2 * lc2 * lc2 + i2 - d2 * d2 / d1)
        let ddtheta1 = -(d2 * ddtheta2 + phi1) / d1
        return [dtheta1, dtheta2, ddtheta1, ddtheta2, 0]
    }

    /// One fourth-order Runge-Kutta step of `dt` (Gymnasium's `rk4` over `[0, dt]`); the state
    /// without the torque.
    static func rk4(_ y: [Double], dt: Double) -> [Double] {
        func add(_ a: [Double], _ b: [Double], _ scale: Double) -> [Double] { zip(a, b).map { $0 + scale * $1 } }
        let half = dt / 2
        let k1 = derivatives(y)
        let k2 = derivatives(add(y, k1, half))
        let k3 = derivatives(add(y, k2, half))
        let k4 = derivatives(add(y, k3, dt))
        return (0..<4).map { y[$0] + dt / 6.0 * (k1[$0] + 2 * k2[$0] + 2 * k3[$0] + k4[$0]) }
    }
}

/// MountainCar-v0: accelerate left (0), not at all (1) or right (2) to drive an underpowered car
/// up to the flag at 0.5; -1 per step; 200 steps at most.
public final class MountainCar: Environment {
    public let id = "MountainCar-v0"
    public let observationSize = 2
    public let actionSpace = ActionSpace.discrete(3)
    public let maxEpisodeSteps = 200
    /// Position and velocity.
    public var state: [Double] = [0, 0]
    private var uniform = Uniform(seed: 0)

    static let minPosition = -1.2, maxPosition = 0.6, maxSpeed = 0.07, goalPosition = 0.5, goalVelocity = 0.0
    static let force = 0.001, gravity = 0.0025

    public init() {}

    public var observation: [Double] { state }

    public func reset(seed: UInt64?) -> [Double] {
        if let seed { uniform = Uniform(seed: seed) }
        state = [uniform.next(-0.6, -0.4), 0]
        return observation
    }

    public func transition(_ action: [Double]) -> (reward: Double, terminated: Bool) {
        var (position, velocity) = (state[0], state[1])
        velocity += (action[0] - 1) * Self.force + cos(3 * position) * -Self.gravity
        velocity = min(max(velocity, -Self.maxSpeed), Self.maxSpeed)
        position += velocity
        position = min(max(position, Self.minPosition), Self.maxPosition)
        if position == Self.minPosition && velocity < 0 { velocity = 0 }
        state = [position, velocity]
        return (-1, position >= Self.goalPosition && velocity >= Self.goalVelocity)
    }
}

/// Pendulum-v1: a torque in [-2, 2] swings a pendulum up and holds it; the reward is minus
/// θ² + 0.1 θ̇² + 0.001 u² (θ normalized to [-π, π)); it never terminates; 200 steps.
public final class Pendulum: Environment {
    public let id = "Pendulum-v1"
    public let observationSize = 3
    public let actionSpace = ActionSpace.box(low: [-2], high: [2])
    public let maxEpisodeSteps = 200
    /// θ and θ̇.
    public var state: [Double] = [0, 0]
    private var uniform = Uniform(seed: 0)

    static let maxSpeed = 8.0, maxTorque = 2.0, dt = 0.05, g = 10.0, m = 1.0, l = 1.0

    public init() {}

    public var observation: [Double] { [cos(state[0]), sin(state[0]), state[1]] }

    public func reset(seed: UInt64?) -> [Double] {
        if let seed { uniform = Uniform(seed: seed) }
        state = [uniform.next(-Double.pi, Double.pi), uniform.next(-1, 1)]
        return observation
    }

    static func angleNormalize(_ x: Double) -> Double {
        let r = (x + Double.pi).truncatingRemainder(dividingBy: 2 * Double.pi)
        return (r < 0 ? r + 2 * Double.pi : r) - Double.pi
    }

    public func transition(_ action: [Double]) -> (reward: Double, terminated: Bool) {
        let (theta, thetaDot) = (state[0], state[1])
        // Gymnasium takes the action as float32, and NumPy keeps the terms of u in float32 (a
        // Python float times a float32 is a float32) before they join the float64 state.
        let u = Float(min(max(action[0], -Self.maxTorque), Self.maxTorque))
        let costs = Self.angleNormalize(theta) * Self.angleNormalize(theta) + 0.1 * thetaDot * thetaDot + Double(Float(0.001) * (u * u))
        let push = Double(Float(3.0 / (Self.m * Self.l * Self.l)) * u)
        var newThetaDot = thetaDot + (3 * Self.g / (2 * Self.l) * sin(theta) + push) * Self.dt
        newThetaDot = min(max(newThetaDot, -Self.maxSpeed), Self.maxSpeed)
        state = [theta + newThetaDot * Self.dt, newThetaDot]
        return (-costs, false)
    }
}
