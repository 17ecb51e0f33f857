/// Row-by-row iteration over two strided operands sharing one shape: the walk behind broadcast
/// arithmetic and strided copies.
enum StridedRows {
    /// Merges adjacent dimensions that are contiguous for both operands and drops size-1 ones,
    /// so the innermost loop is as long as possible. Never returns an empty shape.
    static func coalesce(_ shape: [Int], _ a: [Int], _ b: [Int]) -> (dims: [Int], a: [Int], b: [Int]) {
        var dims: [Int] = [], sa: [Int] = [], sb: [Int] = []
        for d in 0..<shape.count where shape[d] != 1 {
            if let last = dims.last, sa.last! == a[d] * shape[d], sb.last! == b[d] * shape[d] {
                dims[dims.count - 1] = last * shape[d]
                sa[sa.count - 1] = a[d]
                sb[sb.count - 1] = b[d]
            } else {
                dims.append(shape[d])
                sa.append(a[d])
                sb.append(b[d])
            }
        }
        if dims.isEmpty { return ([1], [0], [0]) }
        return (dims, sa, sb)
    }

    /// Calls `body(row, offsetA, offsetB)` for each row index in `rows`, where rows enumerate
    /// the `outer` dimensions in row-major order and the offsets are in elements.
    @inline(__always)
    static func forEach(
        _ rows: Range<Int>, outer dims: [Int], _ sa: [Int], _ sb: [Int], _ body: (Int, Int, Int) -> Void
    ) {
        var index = [Int](repeating: 0, count: dims.count)
        // Decompose the first row's index, then step like an odometer.
        var rest = rows.lowerBound
        for d in stride(from: dims.count - 1, through: 0, by: -1) {
            index[d] = rest % dims[d]
            rest /= dims[d]
        }
        for r in rows {
            var offA = 0, offB = 0
            for d in 0..<index.count {
                offA += index[d] * sa[d]
                offB += index[d] * sb[d]
            }
            body(r, offA, offB)
            var d = index.count - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < dims[d] { break }
                index[d] = 0
                d -= 1
            }
        }
    }
}
