/// Batch normalization over `[N, C, S]` buffers (S = product of spatial sizes, 1 for `[N, C]`),
/// statistics per channel over N and S, fused into a few passes.
public enum BatchNormalization {
    /// Training forward: per channel, the mean and biased variance of the batch, then
    /// `y = (x - mean) · invstd · γ + β` with `invstd = 1 / √(var + ε)`. Writes `mean`, `variance`
    /// and `invstd` (each `[C]`) for the backward pass and the running statistics.
    public static func forward(
        _ x: UnsafePointer<Float>, batch n: Int, channels c: Int, spatial s: Int,
        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float,
        _ y: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, variance: UnsafeMutablePointer<Float>,
        invstd: UnsafeMutablePointer<Float>
    ) {
        let count = Double(n * s)
        Parallel.forChunks(of: c, grain: Swift.max(1, 32768 / Swift.max(n * s, 1))) { channels in
            for ch in channels {
                // Two passes in double precision: the mean, then the centred sum of squares.
                var total = 0.0
                for i in 0..<n {
                    let row = x + (i * c + ch) * s
                    for j in 0..<s { total += Double(row[j]) }
                }
                let m = total / count
                var squares = 0.0
                for i in 0..<n {
                    let row = x + (i * c + ch) * s
                    for j in 0..<s {
                        let d = Double(row[j]) - m
                        squares += d * d
                    }
                }
                let v = squares / count
                let inv = Float(1 / (v + Double(epsilon)).squareRoot())
                mean[ch] = Float(m)
                variance[ch] = Float(v)
                invstd[ch] = inv
                // x - mean in double too: for a mean large against the spread (1e4 ± 0.01) a
                // float32 `x · scale + shift` cancels away the spread.
                let scale = Double(inv) * Double(gamma[ch]), b = Double(beta[ch])
                for i in 0..<n {
                    let from = x + (i * c + ch) * s, to = y + (i * c + ch) * s
                    for j in 0..<s { to[j] = Float((Double(from[j]) - m) * scale + b) }
                }
            }
        }
    }

    /// Backward of `forward`: with x̂ = (x - mean) · invstd and M = N·S,
    ///
    ///     dβ = Σ dy;  dγ = Σ dy·x̂;  dx = γ · invstd · (dy - dβ/M - x̂ · dγ/M)
    ///
    /// `dx`, `dgamma`, `dbeta` may each be nil when not needed.
    public static func backward(
        _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, batch n: Int, channels c: Int, spatial s: Int,
        mean: UnsafePointer<Float>, invstd: UnsafePointer<Float>, gamma: UnsafePointer<Float>,
        dx: UnsafeMutablePointer<Float>?, dgamma: UnsafeMutablePointer<Float>?, dbeta: UnsafeMutablePointer<Float>?
    ) {
        let count = Double(n * s)
        Parallel.forChunks(of: c, grain: Swift.max(1, 32768 / Swift.max(n * s, 1))) { channels in
            for ch in channels {
                // x̂ in double from the mean recomputed in double (the float mean would lose a
                // small spread under a large offset, as in the forward pass).
                var total = 0.0
                for i in 0..<n {
                    let xr = x + (i * c + ch) * s
                    for j in 0..<s { total += Double(xr[j]) }
                }
                let m = total / count, inv = Double(invstd[ch])
                var sumDy = 0.0, sumDyXhat = 0.0
                for i in 0..<n {
                    let g = dy + (i * c + ch) * s, xr = x + (i * c + ch) * s
                    for j in 0..<s {
                        sumDy += Double(g[j])
                        sumDyXhat += Double(g[j]) * (Double(xr[j]) - m) * inv
                    }
                }
                dbeta?[ch] = Float(sumDy)
                dgamma?[ch] = Float(sumDyXhat)
                guard let dx else { continue }
                let k = Double(gamma[ch]) * inv, meanDy = sumDy / count, meanDyXhat = sumDyXhat / count
                for i in 0..<n {
                    let g = dy + (i * c + ch) * s, xr = x + (i * c + ch) * s, out = dx + (i * c + ch) * s
                    for j in 0..<s { out[j] = Float(k * (Double(g[j]) - meanDy - (Double(xr[j]) - m) * inv * meanDyXhat)) }
                }
            }
        }
    }
}
