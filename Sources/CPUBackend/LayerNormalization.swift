/// Layer normalization over `[rows, width]` buffers: each row by its own mean and variance, then
/// a per-column scale and shift (γ, β, `[width]`). One sweep per row forward and one backward,
/// instead of the nine ops (two means, broadcasts, rsqrt, affine) layer norm is written with.
public enum LayerNormalization {
    /// `y = (x - mean) · invstd · γ + β` per row, with `invstd = 1 / √(var + ε)` (biased
    /// variance). Writes each row's `mean` and `invstd` (`[rows]`) for the backward pass.
    public static func forward(
        _ x: UnsafePointer<Float>, rows: Int, width: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
        epsilon: Float, _ y: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
        invstd: UnsafeMutablePointer<Float>
    ) {
        Parallel.forChunks(of: rows, grain: max(1, Parallel.defaultGrain / max(width, 1))) { range in
            for r in range {
                let (xr, yr) = (x + r * width, y + r * width)
                // The statistics in double, as batch norm keeps them: float32 squares overflow
                // for data of order 1e20 and underflow for 1e-30, and a large mean against a
                // small spread loses the spread.
                var total: Double = 0
                for j in 0..<width { total += Double(xr[j]) }
                let md = total / Double(width)
                var squares: Double = 0
                for j in 0..<width { let d = Double(xr[j]) - md; squares += d * d }
                let inv = 1 / (squares / Double(width) + Double(epsilon)).squareRoot()
                mean[r] = Float(md)
                invstd[r] = Float(inv)
                // x̂ in double as well: a float32 x - mean would cancel a small spread away.
                for j in 0..<width { yr[j] = Float((Double(xr[j]) - md) * inv) * gamma[j] + beta[j] }
            }
        }
    }

    /// Backward of `forward`: with x̂ = (x - mean) · invstd and ĝ = dy · γ, per row
    ///
    ///     dx = invstd · (ĝ - mean(ĝ) - x̂ · mean(ĝ · x̂))
    ///
    /// and over the rows `dγ = Σ dy · x̂`, `dβ = Σ dy` (each core sums its rows, then the cores'
    /// sums are added). `dx`, `dgamma`, `dbeta` may each be nil when not needed.
    public static func backward(
        _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, rows: Int, width: Int,
        mean: UnsafePointer<Float>, invstd: UnsafePointer<Float>, gamma: UnsafePointer<Float>,
        dx: UnsafeMutablePointer<Float>?, dgamma: UnsafeMutablePointer<Float>?, dbeta: UnsafeMutablePointer<Float>?
    ) {
        let grain = max(1, Parallel.defaultGrain / max(width, 1))
        let chunks = Parallel.chunkCount(of: rows, grain: grain)
        // Per-chunk dγ and dβ, side by side: [chunks, 2, width].
        var partial = [Float](repeating: 0, count: chunks * 2 * width)
        partial.withUnsafeMutableBufferPointer { partial in
            let partial = partial.baseAddress!
            Parallel.forEachChunk(of: rows, grain: grain) { chunk, range in
                let (dgammaSum, dbetaSum) = (partial + chunk * 2 * width, partial + (chunk * 2 + 1) * width)
                var xhats = [Float](repeating: 0, count: width + 8)   // this chunk's row of x̂
                for r in range {
                    let (g, xr) = (dy + r * width, x + r * width)
                    // x̂ from the row's mean recomputed in double, then rounded to float once.
                    var total: Double = 0
                    for j in 0..<width { total += Double(xr[j]) }
                    let md = total / Double(width), invd = Double(invstd[r]), inv = invstd[r]
                    for j in 0..<width { xhats[j] = Float((Double(xr[j]) - md) * invd) }
                    func xhat(_ j: Int, _ count: Int) -> VectorMath.V { xhats.withUnsafeBufferPointer { VectorMath.load($0.baseAddress! + j, count: count) } }
                    forEachVector(width) { j, count in
                        let gj = VectorMath.load(g + j, count: count)
                        VectorMath.store(VectorMath.load(dgammaSum + j, count: count) + gj * xhat(j, count), dgammaSum + j, count: count)
                        VectorMath.store(VectorMath.load(dbetaSum + j, count: count) + gj, dbetaSum + j, count: count)
                    }
                    guard let dx else { continue }
                    func scaled(_ j: Int, _ count: Int) -> VectorMath.V {
                        VectorMath.load(g + j, count: count) * VectorMath.load(gamma + j, count: count)
                    }
                    let meanScaled = sum(width, scaled) / Float(width)
                    let meanScaledXhat = sum(width) { scaled($0, $1) * xhat($0, $1) } / Float(width)
                    let out = dx + r * width
                    forEachVector(width) { j, count in
                        VectorMath.store((scaled(j, count) - meanScaled - xhat(j, count) * meanScaledXhat) * inv, out + j, count: count)
                    }
                }
            }
            for (target, offset) in [(dgamma, 0), (dbeta, width)] {
                guard let target else { continue }
                for j in 0..<width {
                    var total: Float = 0
                    for chunk in 0..<chunks { total += partial[chunk * 2 * width + offset + j] }
                    target[j] = total
                }
            }
        }
    }

    /// Calls `body(j, count)` for each vector of a row: `count` is 8 but for a last partial one.
    @inline(__always)
    static func forEachVector(_ width: Int, _ body: (Int, Int) -> Void) {
        var j = 0
        while j < width {
            body(j, min(8, width - j))
            j += 8
        }
    }

    /// The sum over a row of `lanes(j, count)`, whose lanes past `count` must be zero (as
    /// `VectorMath.load` leaves them).
    @inline(__always)
    static func sum(_ width: Int, _ lanes: (Int, Int) -> VectorMath.V) -> Float {
        var total = VectorMath.V()
        forEachVector(width) { total += lanes($0, $1) }
        return total.sum()
    }
}
