import CSIMD
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Softmax along one axis of a buffer seen as `[outer, length, inner]`, forward and backward,
/// each in one sweep per row (the max, the exponentials and their sum stay in cache) instead of
/// the five ops softmax is written with. Rows are split over the cores.
public enum Softmax {
    /// `y = eˣ⁻ᵐᵃˣ / Σ eˣ⁻ᵐᵃˣ` along the middle axis.
    public static func forward(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, outer: Int, length: Int, inner: Int
    ) {
        Parallel.forChunks(of: outer * inner, grain: max(1, (1 << 14) / max(length, 1))) { rows in
            for row in rows {
                let (o, i) = row.quotientAndRemainder(dividingBy: inner)
                let base = o * length * inner + i
                if inner == 1 {
                    #if arch(x86_64)
                    if VectorMath.usesAVX2 { csimd_softmax_row(x + base, y + base, length); continue }
                    #endif
                    portableRow(x + base, y + base, length: length)
                } else {
                    var largest = -Float.infinity
                    for k in 0..<length { largest = Swift.max(largest, x[base + k * inner]) }
                    var sum: Float = 0
                    for k in 0..<length {
                        let e = expf(x[base + k * inner] - largest)
                        y[base + k * inner] = e
                        sum += e
                    }
                    let scale = 1 / sum
                    for k in 0..<length { y[base + k * inner] *= scale }
                }
            }
        }
    }

    /// One contiguous row, eight lanes at a time (scalar max and sum loops do not vectorize:
    /// their order of operations is fixed); `csimd_softmax_row` where AVX2 is present.
    static func portableRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, length: Int) {
        let whole = length / 8 * 8
        var largest8 = SIMD8<Float>(repeating: -.infinity)
        for k in stride(from: 0, to: whole, by: 8) { largest8 = pointwiseMax(largest8, VectorMath.load(x + k)) }
        var largest = largest8.max()
        for k in whole..<length { largest = Swift.max(largest, x[k]) }
        for k in 0..<length { y[k] = x[k] - largest }
        VectorMath.map(length, y, y, VectorMath.exp)
        var sum8 = SIMD8<Float>()
        for k in stride(from: 0, to: whole, by: 8) { sum8 += VectorMath.load(y + k) }
        var sum = sum8.sum()
        for k in whole..<length { sum += y[k] }
        let scale = 1 / sum
        for k in 0..<length { y[k] *= scale }
    }

    /// `dx = y (g - Σ g y)` along the middle axis, from the output `y` and its gradient `g`.
    public static func backward(
        _ g: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
        outer: Int, length: Int, inner: Int
    ) {
        Parallel.forChunks(of: outer * inner, grain: max(1, (1 << 15) / max(length, 1))) { rows in
            for row in rows {
                let (o, i) = row.quotientAndRemainder(dividingBy: inner)
                let base = o * length * inner + i
                var dot: Float = 0
                if inner == 1 {
                    let whole = length / 8 * 8
                    var dot8 = SIMD8<Float>()
                    for k in stride(from: 0, to: whole, by: 8) { dot8 += VectorMath.load(g + base + k) * VectorMath.load(y + base + k) }
                    dot = dot8.sum()
                    for k in whole..<length { dot += g[base + k] * y[base + k] }
                } else {
                    for k in 0..<length { dot += g[base + k * inner] * y[base + k * inner] }
                }
                for k in 0..<length { dx[base + k * inner] = y[base + k * inner] * (g[base + k * inner] - dot) }
            }
        }
    }
}
