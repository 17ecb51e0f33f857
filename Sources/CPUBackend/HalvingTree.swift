/// Sums over the examples of a batch in a fixed shape: the range is halved (the first half
/// taking `count / 2`) until the pieces hold at most `leaf` items, each piece is summed on its
/// own, and the pieces are added back up the tree.
///
/// The shape depends only on the range's length and the leaf size: not on the thread count,
/// and not on how a batch is shared out. Two processes each summing one half of a batch (data
/// parallelism, `DataLoader.Shard` positions) compute exactly the two subtrees of the whole,
/// so adding their results gives the bits one process gets. Pairwise sums also round better
/// than one running sum.
public enum HalvingTree {
    /// Leaf sizes: rows of a reduction over a leading axis, rows of a matrix product's
    /// contracted batch dimension, images of a convolution's weight gradient.
    public static let reductionLeaf = 32
    public static let productLeaf = 64
    public static let imageLeaf = 8

    /// The leaves over `0..<count`, in order.
    public static func leaves(of count: Int, leaf: Int) -> [Range<Int>] {
        var result: [Range<Int>] = []
        func visit(_ range: Range<Int>) {
            if range.count <= leaf {
                result.append(range)
            } else {
                let middle = range.lowerBound + range.count / 2
                visit(range.lowerBound..<middle)
                visit(middle..<range.upperBound)
            }
        }
        visit(0..<Swift.max(count, 0))
        return result
    }

    /// Adds the leaves' sums up the tree over `0..<count`: `sums[i]` holds leaf `i`'s `length`
    /// values (in `leaves(of:leaf:)` order); afterwards `sums[0]` holds the total.
    public static func combine(_ sums: [UnsafeMutablePointer<Float>], length: Int, count: Int, leaf: Int) {
        var next = 0
        // Returns the index of the buffer holding the sum over `range`.
        func visit(_ range: Range<Int>) -> Int {
            if range.count <= leaf {
                defer { next += 1 }
                return next
            }
            let middle = range.lowerBound + range.count / 2
            let left = visit(range.lowerBound..<middle), right = visit(middle..<range.upperBound)
            let (a, b) = (sums[left], UnsafePointer(sums[right]))
            for i in 0..<length { a[i] += b[i] }
            return left
        }
        _ = visit(0..<count)
    }

    /// `output[0..<length] = Σ over the tree of 0..<count`, where `leafSum(range, into)` writes
    /// the sum over one leaf's items (overwriting `into`). Leaves run in order on this thread.
    public static func sum(count: Int, leaf: Int, length: Int, into output: UnsafeMutablePointer<Float>,
                           _ leafSum: (Range<Int>, UnsafeMutablePointer<Float>) -> Void) {
        let leaves = leaves(of: count, leaf: leaf)
        guard leaves.count > 1 else {
            leafSum(0..<count, output)
            return
        }
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: (leaves.count - 1) * length)
        defer { scratch.deallocate() }
        let sums = [output] + (1..<leaves.count).map { scratch + ($0 - 1) * length }
        for (range, buffer) in zip(leaves, sums) { leafSum(range, buffer) }
        combine(sums, length: length, count: count, leaf: leaf)
    }
}
