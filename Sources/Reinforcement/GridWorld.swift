/// A small grid world for tabular methods: a 4x4 grid (states 0...15, row by row), the agent
/// starting in the top-left corner and moving left (0), down (1), right (2) or up (3); walls
/// keep it in place. The bottom-right corner is the goal (+1, terminal); the holes at 5, 7, 11
/// and 12, as in Gymnasium's FrozenLake 4x4 map without the slippery ice, end the episode with 0.
/// The observation is the state's one-hot vector; 100 steps at most.
public final class GridWorld: Environment {
    public let id = "GridWorld-4x4"
    public static let size = 4
    public static let holes: Set<Int> = [5, 7, 11, 12]
    public static let goal = 15
    public let observationSize = 16
    public let actionSpace = ActionSpace.discrete(4)
    public let maxEpisodeSteps = 100
    /// The cell, as one number.
    public var state: [Double] = [0]

    public init() {}

    public var cell: Int { Int(state[0]) }
    public var observation: [Double] { (0..<16).map { $0 == cell ? 1 : 0 } }

    public func reset(seed: UInt64?) -> [Double] {
        state = [0]
        return observation
    }

    public func transition(_ action: [Double]) -> (reward: Double, terminated: Bool) {
        var (row, column) = (cell / Self.size, cell % Self.size)
        switch Int(action[0]) {
        case 0: column = max(column - 1, 0)
        case 1: row = min(row + 1, Self.size - 1)
        case 2: column = min(column + 1, Self.size - 1)
        default: row = max(row - 1, 0)
        }
        let next = row * Self.size + column
        state = [Double(next)]
        if next == Self.goal { return (1, true) }
        return (0, Self.holes.contains(next))
    }
}
