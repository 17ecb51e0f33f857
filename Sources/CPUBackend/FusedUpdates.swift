/// Optimizer updates fused into one pass over each parameter: reading the weight, gradient and
/// moments once instead of once per elementwise op.
public enum FusedUpdates {
    /// Adam / AdamW without AMSGrad, in place:
    ///
    ///     g' = g + λw (L2) or w -= ηλw (decoupled);  m = β₁m + (1-β₁)g';  v = β₂v + (1-β₂)g'²
    ///     w -= (η / c₁) · m / (√(v / c₂) + ε)
    ///
    /// where c₁, c₂ are the bias corrections 1 - βᵗ. Vectorized and split over the cores.
    public static func adam(
        weights w: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>,
        firstMoments m: UnsafeMutablePointer<Float>, secondMoments v: UnsafeMutablePointer<Float>, count: Int,
        learningRate lr: Float, beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float,
        decoupled: Bool, correction1: Float, correction2: Float
    ) {
        let stepSize = lr / correction1
        let l2: Float = decoupled ? 0 : weightDecay
        let shrink: Float = decoupled ? 1 - lr * weightDecay : 1
        Parallel.forChunks(of: count, grain: 1 << 14) { range in
            typealias V = SIMD4<Float>
            var i = range.lowerBound
            let (rw, rg, rm, rv) = (UnsafeMutableRawPointer(w), UnsafeRawPointer(g), UnsafeMutableRawPointer(m), UnsafeMutableRawPointer(v))
            while i + 4 <= range.upperBound {
                let o = i * 4
                var wi = rw.loadUnaligned(fromByteOffset: o, as: V.self)
                let gi = rg.loadUnaligned(fromByteOffset: o, as: V.self) + l2 * wi
                wi *= shrink
                let mi = beta1 * rm.loadUnaligned(fromByteOffset: o, as: V.self) + (1 - beta1) * gi
                let vi = beta2 * rv.loadUnaligned(fromByteOffset: o, as: V.self) + (1 - beta2) * gi * gi
                wi -= stepSize * mi / ((vi / correction2).squareRoot() + epsilon)
                rm.storeBytes(of: mi, toByteOffset: o, as: V.self)
                rv.storeBytes(of: vi, toByteOffset: o, as: V.self)
                rw.storeBytes(of: wi, toByteOffset: o, as: V.self)
                i += 4
            }
            while i < range.upperBound {
                let gi = g[i] + l2 * w[i]
                w[i] *= shrink
                m[i] = beta1 * m[i] + (1 - beta1) * gi
                v[i] = beta2 * v[i] + (1 - beta2) * gi * gi
                w[i] -= stepSize * m[i] / ((v[i] / correction2).squareRoot() + epsilon)
                i += 1
            }
        }
    }
}
