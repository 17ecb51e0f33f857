import Foundation
import TensorCore

/// The Fréchet distance between two Gaussians fitted to feature sets (Heusel et al. 2017, the
/// "FID" when the features are Inception's):
/// `‖μ₁ - μ₂‖² + tr(Σ₁ + Σ₂ - 2 (Σ₁ Σ₂)^½)`.
///
/// `tr (Σ₁ Σ₂)^½` is the sum of the square roots of the eigenvalues of `Σ₁^½ Σ₂ Σ₁^½`, which is
/// symmetric: both square roots come from a symmetric eigendecomposition (cyclic Jacobi, in
/// double precision), so no general matrix square root is needed.
public enum FrechetDistance {
    /// The distance between the features `a` `[N, D]` and `b` `[M, D]` (covariances with N - 1).
    public static func between(_ a: Tensor, _ b: Tensor) -> Double {
        require(a.rank == 2 && b.rank == 2 && a.shape[1] == b.shape[1] && a.shape[0] >= 2 && b.shape[0] >= 2,
                "FrechetDistance: features [N, D] and [M, D] with N, M >= 2, got \(a.shape) and \(b.shape)")
        let (m1, s1) = moments(a), (m2, s2) = moments(b)
        let d = m1.count
        let meanTerm = zip(m1, m2).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let root1 = symmetricSquareRoot(s1, d)
        let product = multiply(multiply(root1, s2, d), root1, d)
        let crossTrace = symmetricEigenvalues(product, d).reduce(0) { $0 + max($1, 0).squareRoot() }
        let traces = (0..<d).reduce(0) { $0 + s1[$1 * d + $1] + s2[$1 * d + $1] }
        return meanTerm + traces - 2 * crossTrace
    }

    /// The mean and the (N - 1) covariance of the rows, in double precision.
    static func moments(_ x: Tensor) -> ([Double], [Double]) {
        let (n, d) = (x.shape[0], x.shape[1]), v = x.scalars.map(Double.init)
        var mean = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mean[j] += v[i * d + j] } }
        mean = mean.map { $0 / Double(n) }
        var covariance = [Double](repeating: 0, count: d * d)
        var row = [Double](repeating: 0, count: d)
        for i in 0..<n {
            for j in 0..<d { row[j] = v[i * d + j] - mean[j] }
            for j in 0..<d where row[j] != 0 {
                let r = row[j]
                for k in j..<d { covariance[j * d + k] += r * row[k] }
            }
        }
        for j in 0..<d { for k in j..<d { covariance[j * d + k] /= Double(n - 1); covariance[k * d + j] = covariance[j * d + k] } }
        return (mean, covariance)
    }

    static func multiply(_ a: [Double], _ b: [Double], _ d: Int) -> [Double] {
        var c = [Double](repeating: 0, count: d * d)
        for i in 0..<d { for k in 0..<d where a[i * d + k] != 0 { let x = a[i * d + k]; for j in 0..<d { c[i * d + j] += x * b[k * d + j] } } }
        return c
    }

    /// `V diag(√max(λ, 0)) Vᵀ` for the symmetric `a` = `V diag(λ) Vᵀ`.
    static func symmetricSquareRoot(_ a: [Double], _ d: Int) -> [Double] {
        let (values, vectors) = jacobi(a, d)
        var root = [Double](repeating: 0, count: d * d)
        for k in 0..<d {
            let s = max(values[k], 0).squareRoot()
            guard s > 0 else { continue }
            for i in 0..<d { let vi = vectors[i * d + k] * s; for j in 0..<d { root[i * d + j] += vi * vectors[j * d + k] } }
        }
        return root
    }

    static func symmetricEigenvalues(_ a: [Double], _ d: Int) -> [Double] { jacobi(a, d).values }

    /// Eigenvalues and eigenvectors (the columns of `vectors`) of the symmetric `d x d` matrix `a`,
    /// by cyclic Jacobi rotations until the off-diagonal part is negligible.
    static func jacobi(_ input: [Double], _ d: Int) -> (values: [Double], vectors: [Double]) {
        var a = input
        // Symmetrize against rounding in the products that built it.
        for i in 0..<d { for j in (i + 1)..<max(i + 1, d) { let m = (a[i * d + j] + a[j * d + i]) / 2; a[i * d + j] = m; a[j * d + i] = m } }
        var v = [Double](repeating: 0, count: d * d)
        for i in 0..<d { v[i * d + i] = 1 }
        let scale = a.reduce(0) { $0 + $1 * $1 }
        for _ in 0..<100 {
            var off = 0.0
            for i in 0..<d { for j in (i + 1)..<max(i + 1, d) { off += a[i * d + j] * a[i * d + j] } }
            if off <= 1e-30 * max(scale, 1e-300) { break }
            for p in 0..<d {
                for q in (p + 1)..<max(p + 1, d) where a[p * d + q] != 0 {
                    let theta = (a[q * d + q] - a[p * d + p]) / (2 * a[p * d + q])
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<d {
                        let (akp, akq) = (a[k * d + p], a[k * d + q])
                        a[k * d + p] = c * akp - s * akq
                        a[k * d + q] = s * akp + c * akq
                    }
                    for k in 0..<d {
                        let (apk, aqk) = (a[p * d + k], a[q * d + k])
                        a[p * d + k] = c * apk - s * aqk
                        a[q * d + k] = s * apk + c * aqk
                    }
                    for k in 0..<d {
                        let (vkp, vkq) = (v[k * d + p], v[k * d + q])
                        v[k * d + p] = c * vkp - s * vkq
                        v[k * d + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        return ((0..<d).map { a[$0 * d + $0] }, v)
    }
}
