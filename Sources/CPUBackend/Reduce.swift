/// Reductions over the middle axis of a buffer viewed as `[outer, length, inner]`.
public enum ReduceFunction: Sendable, Hashable {
    case sum, max, min
}

public enum Reduce {
    /// `output[o, i] = f(input[o, 0..<length, i])`. Sums of more than `HalvingTree.reductionLeaf`
    /// rows (inner > 1) add them in the halving tree's shape.
    ///
    /// Shape: input `[outer, length, inner]` (contiguous), output `[outer, inner]`.
    public static func reduce(
        _ f: ReduceFunction, _ input: UnsafePointer<Float>, outer: Int, length: Int, inner: Int,
        _ output: UnsafeMutablePointer<Float>
    ) {
        Parallel.forChunks(of: outer, grain: max(1, Parallel.defaultGrain / max(1, length * inner))) { rows in
            for o in rows {
                let x = input + o * length * inner
                let y = output + o * inner
                if f == .sum && inner > 1 && length > HalvingTree.reductionLeaf {
                    // Sums of many rows (over a batch: bias gradients) in the tree's fixed shape.
                    HalvingTree.sum(count: length, leaf: HalvingTree.reductionLeaf, length: inner, into: y) { rows, out in
                        reduceRows(f, x + rows.lowerBound * inner, rows.count, inner, out)
                    }
                } else if inner == 1 {
                    y[0] = reduceContiguous(f, x, length)
                } else {
                    reduceRows(f, x, length, inner, y)
                }
            }
        }
    }

    @inline(__always)
    static func reduceContiguous(_ f: ReduceFunction, _ x: UnsafePointer<Float>, _ n: Int) -> Float {
        switch f {
        case .sum:
            // Eight independent partial sums: vectorizes, and rounds better than one running sum.
            var acc = SIMD8<Float>()
            var i = 0
            let raw = UnsafeRawPointer(x)
            while i + 8 <= n {
                acc += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                i += 8
            }
            var total = acc.sum()
            while i < n {
                total += x[i]
                i += 1
            }
            return total
        case .max:
            var m = -Float.infinity
            for i in 0..<n {
                let v = x[i]
                if v > m || v.isNaN { m = v }
                if m.isNaN { break }
            }
            return m
        case .min:
            var m = Float.infinity
            for i in 0..<n {
                let v = x[i]
                if v < m || v.isNaN { m = v }
                if m.isNaN { break }
            }
            return m
        }
    }

    @inline(__always)
    static func reduceRows(
        _ f: ReduceFunction, _ x: UnsafePointer<Float>, _ length: Int, _ inner: Int,
        _ y: UnsafeMutablePointer<Float>
    ) {
        if length == 0 {
            let identity: Float = f == .sum ? 0 : (f == .max ? -.infinity : .infinity)
            for i in 0..<inner { y[i] = identity }
            return
        }
        for i in 0..<inner { y[i] = x[i] }
        for k in 1..<length {
            let row = x + k * inner
            switch f {
            case .sum: for i in 0..<inner { y[i] += row[i] }
            case .max: for i in 0..<inner where row[i] > y[i] || row[i].isNaN { y[i] = row[i] }
            case .min: for i in 0..<inner where row[i] < y[i] || row[i].isNaN { y[i] = row[i] }
            }
        }
    }

    /// Index of the largest (or smallest) value along the middle axis; the first one on ties.
    ///
    /// Shape: input `[outer, length, inner]`, output `[outer, inner]`.
    public static func argExtremum(
        largest: Bool, _ input: UnsafePointer<Float>, outer: Int, length: Int, inner: Int,
        _ output: UnsafeMutablePointer<Int64>
    ) {
        for o in 0..<outer {
            for i in 0..<inner {
                let x = input + o * length * inner + i
                var best = x[0]
                var bestIndex = 0
                for k in 1..<max(length, 1) {
                    let v = x[k * inner]
                    if best.isNaN { break }
                    if v.isNaN || (largest ? v > best : v < best) {
                        best = v
                        bestIndex = k
                    }
                }
                output[o * inner + i] = Int64(bestIndex)
            }
        }
    }
}
