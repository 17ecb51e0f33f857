import CSIMD

/// Exponential, logistic sigmoid, tanh and GELU eight floats at a time, for the activations that
/// recurrent networks evaluate on every gate of every step and transformers on every hidden unit
/// (libm's scalar `tanhf`, `expf` and `erff` cost several times more).
///
/// `exp` is the classic Cody-Waite reduction `x = n ln2 + r` with a degree-6 polynomial for
/// `eʳ` on `|r| ≤ ln2/2` (the coefficients of Cephes' `expf`), scaled by `2ⁿ` through the exponent
/// bits: within 2 ulp of the exact value for normal results. `tanh` uses Cephes' odd polynomial
/// below |x| = 0.625, where `1 - 2/(e²ˣ + 1)` would lose digits to cancellation.
public enum VectorMath {
    public typealias V = SIMD8<Float>

    /// Whether the AVX2 + FMA loops in CSIMD (the LSTM's gate passes, GELU) run instead of the
    /// portable code here: decided once, from the processor.
    static let usesAVX2 = csimd_has_avx2_fma() == 1

    @inline(__always)
    public static func exp(_ x: V) -> V {
        // Outside [-103.97, 88.7228317] the result under- or overflows: the upper bound is the
        // largest float whose eˣ is finite (ln of Float.greatestFiniteMagnitude is 88.72283905...,
        // whose nearest float 88.72284 already overflows). Clamp and fix up at the end.
        let largest: Float = 88.7228317
        var clamped = x
        clamped.replace(with: -103.97, where: x .< -103.97)
        clamped.replace(with: largest, where: x .> largest)
        var result = reduced(clamped).scaled
        result.replace(with: 0, where: x .< -103.97)
        result.replace(with: .infinity, where: x .> largest)
        result.replace(with: x, where: x .!= x)  // NaN stays NaN
        return result
    }

    /// `eˣ = eʳ·2ⁿ` for `x` inside the float range: `n = round(x / ln2)` by the 1.5·2²³ trick
    /// (adding it leaves n in the low mantissa bits), then `eʳ` by the polynomial. `scaled` is
    /// the product, with 2ⁿ built from exponent bits in two factors that are each a normal float
    /// (so n ∈ [-151, 128] gives subnormal results too).
    @inline(__always)
    static func reduced(_ x: V) -> (p: V, n: SIMD8<Int32>, scaled: V) {
        let shifted = x * 1.44269504088896341 + 12582912
        let n = shifted - 12582912
        var r = x - n * 0.693359375
        r = r - n * -2.12194440e-4
        var p = V(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        p = p * r * r + r + 1
        let ni = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
        let half = ni &>> 1
        let scale1 = unsafeBitCast((half &+ 127) &<< 23, to: V.self)
        let scale2 = unsafeBitCast((ni &- half &+ 127) &<< 23, to: V.self)
        return (p, ni, p * scale1 * scale2)
    }

    /// `1 / (1 + e⁻ˣ)`, from `e^-|x|` so nothing large is ever exponentiated; below -104.5 the
    /// exponential rounds to zero by itself, so no fix-ups are needed. NaN stays NaN.
    @inline(__always)
    public static func sigmoid(_ x: V) -> V {
        var negative = -abs(x)
        negative.replace(with: -104.5, where: negative .< -104.5)
        let e = reduced(negative).scaled
        let r = 1 / (1 + e)
        var result = r
        result.replace(with: e * r, where: x .< 0)
        return result
    }

    /// `eˣ` for `x ≥ 0` (tanh's large branch), clamped at 87 so that 2ⁿ is one normal float.
    @inline(__always)
    static func expOfNonNegative(_ x: V) -> V {
        var clamped = x
        clamped.replace(with: 87, where: x .> 87)
        let (p, n, _) = reduced(clamped)
        return p * unsafeBitCast((n &+ 127) &<< 23, to: V.self)
    }

    @inline(__always)
    public static func tanh(_ x: V) -> V {
        let a = abs(x)
        // Large |x|: 1 - 2/(e^(2|x|) + 1), with the sign bit put back.
        let large = 1 - 2 / (expOfNonNegative(2 * a) + 1)
        let sign = unsafeBitCast(x, to: SIMD8<UInt32>.self) & 0x8000_0000
        // Small |x|: x + x³ P(x²).
        let z = x * x
        var p = V(repeating: -5.70498872745e-3)
        p = p * z + 2.06390887954e-2
        p = p * z - 5.37397155531e-2
        p = p * z + 1.33314422036e-1
        p = p * z - 3.33332819422e-1
        let small = p * z * x + x
        // NaN fails `a < 0.625` and stays NaN through the large branch.
        var result = unsafeBitCast(unsafeBitCast(large, to: SIMD8<UInt32>.self) | sign, to: V.self)
        result.replace(with: small, where: a .< 0.625)
        return result
    }

    /// erfc(z) for z ≥ 0 to a relative 1.2e-7 plus float rounding: Numerical Recipes' Chebyshev
    /// fit `erfcc`, t·exp(-z² + P(t)) with t = 1/(1 + z/2), whose error is relative everywhere,
    /// so the tails keep their digits.
    @inline(__always)
    static func erfcOfNonNegative(_ z: V) -> V {
        let t = 1 / (1 + 0.5 * z)
        var p = V(repeating: 0.17087277)
        p = p * t - 0.82215223
        p = p * t + 1.48851587
        p = p * t - 1.13520398
        p = p * t + 0.27886807
        p = p * t - 0.18628806
        p = p * t + 0.09678418
        p = p * t + 0.37409196
        p = p * t + 1.00002368
        p = p * t - 1.26551223
        return t * exp(p - z * z)
    }

    /// Φ(x), the standard normal distribution function: 1 - erfc(x/√2)/2 above zero and
    /// erfc(|x|/√2)/2 below, so the lower tail keeps its relative accuracy.
    @inline(__always)
    static func normalCDF(_ x: V) -> V {
        let half = 0.5 * erfcOfNonNegative(abs(x) * 0.70710678118654752)
        var result = 1 - half
        result.replace(with: half, where: x .< 0)
        return result
    }

    /// The exact GELU, x Φ(x).
    @inline(__always)
    public static func gelu(_ x: V) -> V { x * normalCDF(x) }

    /// GELU's derivative, Φ(x) + x φ(x) with φ(x) = e^(-x²/2) / √(2π).
    @inline(__always)
    public static func geluDerivative(_ x: V) -> V { normalCDF(x) + x * 0.39894228040143268 * exp(-0.5 * x * x) }

    @inline(__always)
    static func abs(_ x: V) -> V {
        unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt32>.self) & 0x7fff_ffff, to: V.self)
    }

    /// The first `count` floats at `p` (at most 8) as a vector, zero-padded.
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, count: Int = 8) -> V {
        if count == 8 { return UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        var v = V()
        for k in 0..<count { v[k] = p[k] }
        return v
    }

    @inline(__always)
    static func load(_ p: UnsafeMutablePointer<Float>, count: Int = 8) -> V { load(UnsafePointer(p), count: count) }

    /// Writes the first `count` lanes of `v` (at most 8) to `p`.
    @inline(__always)
    static func store(_ v: V, _ p: UnsafeMutablePointer<Float>, count: Int = 8) {
        if count == 8 { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self); return }
        for k in 0..<count { p[k] = v[k] }
    }

    /// `y[i] = f(a[i], b[i])` for `i` in `0..<n`, eight at a time, as `map`.
    @inline(__always)
    static func map(
        _ n: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ f: (V, V) -> V
    ) {
        var i = 0
        while i + 8 <= n {
            store(f(load(a + i), load(b + i)), y + i)
            i += 8
        }
        if i < n { store(f(load(a + i, count: n - i), load(b + i, count: n - i)), y + i, count: n - i) }
    }

    /// `y[i] = f(x[i])` for `i` in `0..<n`, eight at a time; the tail goes through a padded vector.
    @inline(__always)
    static func map(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ f: (V) -> V) {
        var i = 0
        while i + 8 <= n {
            store(f(load(x + i)), y + i)
            i += 8
        }
        if i < n { store(f(load(x + i, count: n - i)), y + i, count: n - i) }
    }
}
