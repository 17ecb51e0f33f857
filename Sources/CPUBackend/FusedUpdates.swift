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

extension FusedUpdates {
    /// Adam / AdamW with AMSGrad, in place: as `adam`, with `vMax = max(vMax, v)` in the denominator.
    public static func adamAMSGrad(
        weights w: UnsafeMutablePointer<Float>, gradients grad: UnsafePointer<Float>,
        firstMoments m: UnsafeMutablePointer<Float>, secondMoments v: UnsafeMutablePointer<Float>,
        maxSecondMoments vMax: UnsafeMutablePointer<Float>, count: Int, learningRate lr: Float, beta1 b1: Float,
        beta2 b2: Float, epsilon eps: Float, weightDecay wd: Float, decoupled: Bool, correction1: Float, correction2: Float
    ) {
        let stepSize = lr / correction1
        for j in 0..<count {
            var g = grad[j]
            if decoupled { w[j] -= lr * wd * w[j] } else { g += wd * w[j] }
            m[j] = b1 * m[j] + (1 - b1) * g
            v[j] = b2 * v[j] + (1 - b2) * g * g
            vMax[j] = .propagatingMaximum(vMax[j], v[j])   // a NaN stays, as torch.maximum
            w[j] -= stepSize * m[j] / ((vMax[j] / correction2).squareRoot() + eps)
        }
    }

    /// SGD, in place: `g' = g + λw`; with momentum μ, `b = g'` on the first step and `b = μb + g'`
    /// after, `w -= η (g' + μb)` (Nesterov) or `w -= η b`; without, `w -= η g'`.
    public static func sgd(
        weights w: UnsafeMutablePointer<Float>, gradients grad: UnsafePointer<Float>, velocity b: UnsafeMutablePointer<Float>?,
        firstStep first: Bool, count: Int, learningRate lr: Float, momentum mu: Float, nesterov: Bool, weightDecay wd: Float
    ) {
        guard let b else {
            for j in 0..<count { w[j] -= lr * (grad[j] + wd * w[j]) }
            return
        }
        for j in 0..<count {
            let g = grad[j] + wd * w[j]
            b[j] = first ? g : mu * b[j] + g
            w[j] -= lr * (nesterov ? g + mu * b[j] : b[j])
        }
    }

    /// RMSprop, in place: `v = αv + (1-α)g'²` (centered: minus the square of `mean = α mean + (1-α)g'`),
    /// `u = g' / (√v + ε)`, then `b = μb + u, w -= ηb` with momentum, else `w -= ηu`.
    public static func rmsprop(
        weights w: UnsafeMutablePointer<Float>, gradients grad: UnsafePointer<Float>, squares v: UnsafeMutablePointer<Float>,
        averages mean: UnsafeMutablePointer<Float>?, velocity b: UnsafeMutablePointer<Float>?, count: Int,
        learningRate lr: Float, alpha a: Float, epsilon eps: Float, weightDecay wd: Float, momentum mu: Float
    ) {
        for j in 0..<count {
            let g = grad[j] + wd * w[j]
            v[j] = a * v[j] + (1 - a) * g * g
            var second = v[j]
            if let mean {
                mean[j] = a * mean[j] + (1 - a) * g
                second -= mean[j] * mean[j]
            }
            let update = g / (second.squareRoot() + eps)
            if let b {
                b[j] = mu * b[j] + update
                w[j] -= lr * b[j]
            } else {
                w[j] -= lr * update
            }
        }
    }

    /// Adagrad, in place: `s += g'²` (from `initial` on the first step), `w -= η g' / (√s + ε)`.
    public static func adagrad(
        weights w: UnsafeMutablePointer<Float>, gradients grad: UnsafePointer<Float>, sums s: UnsafeMutablePointer<Float>,
        firstStep first: Bool, initial: Float, count: Int, learningRate lr: Float, epsilon eps: Float, weightDecay wd: Float
    ) {
        for j in 0..<count {
            if first { s[j] = initial }
            let g = grad[j] + wd * w[j]
            s[j] += g * g
            w[j] -= lr * g / (s[j].squareRoot() + eps)
        }
    }
}
