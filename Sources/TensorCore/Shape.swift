/// The extents of a tensor's dimensions, outermost first. A scalar has rank 0.
///
/// ```swift
/// let s: Shape = [32, 784]
/// s.rank          // 2
/// s.elementCount  // 25088
/// ```
public struct Shape: Hashable, Sendable, RandomAccessCollection, MutableCollection,
    ExpressibleByArrayLiteral, CustomStringConvertible
{
    public var dimensions: [Int]

    public init(_ dimensions: [Int]) {
        self.dimensions = dimensions
    }

    public init(arrayLiteral elements: Int...) {
        self.dimensions = elements
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { dimensions.count }

    public subscript(position: Int) -> Int {
        get { dimensions[position] }
        set { dimensions[position] = newValue }
    }

    /// The number of dimensions.
    public var rank: Int { dimensions.count }

    /// The number of elements: the product of the dimensions (1 for a scalar).
    public var elementCount: Int {
        var n = 1
        for d in dimensions { n *= d }
        return n
    }

    public var description: String { "[" + dimensions.map(String.init).joined(separator: ", ") + "]" }

    /// Row-major strides, in elements.
    var contiguousStrides: [Int] {
        var strides = [Int](repeating: 1, count: rank)
        var s = 1
        for d in stride(from: rank - 1, through: 0, by: -1) {
            strides[d] = s
            s *= dimensions[d]
        }
        return strides
    }

    /// Resolves a possibly negative axis, stopping with a message naming `op` when out of range.
    func axis(_ axis: Int, op: String) -> Int {
        let a = axis < 0 ? axis + rank : axis
        require(a >= 0 && a < rank, "\(op): axis \(axis) is out of range for shape \(self)")
        return a
    }

    /// Resolves and sorts a list of axes, removing duplicates.
    func axes(_ axes: [Int], op: String) -> [Int] {
        Array(Set(axes.map { axis($0, op: op) })).sorted()
    }

    /// The NumPy broadcast of two shapes.
    static func broadcast(_ a: Shape, _ b: Shape, op: String) -> Shape {
        if a == b { return a }
        let rank = Swift.max(a.rank, b.rank)
        var result = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.rank ? 1 : a[i - (rank - a.rank)]
            let db = i < rank - b.rank ? 1 : b[i - (rank - b.rank)]
            require(
                da == db || da == 1 || db == 1,
                "\(op): shapes \(a) and \(b) cannot be broadcast: dimension \(i) is \(da) vs \(db)")
            result[i] = da == 1 ? db : da
        }
        return Shape(result)
    }

    /// Strides that read a contiguous tensor of this shape as if it had shape `target`
    /// (0 along broadcast dimensions).
    func broadcastStrides(to target: Shape) -> [Int] {
        let own = contiguousStrides
        let offset = target.rank - rank
        return (0..<target.rank).map { i in
            i < offset || dimensions[i - offset] == 1 ? 0 : own[i - offset]
        }
    }
}
