import Foundation
import TensorCore

/// Scores of reconstructed images against the originals, per image, for pixels in `[0, peak]`.
public enum ImageScores {
    /// Peak signal-to-noise ratio of each image, `10·log₁₀(peak² / MSE)` in dB (infinite for an
    /// exact copy). `a` and `b` are `[N, ...]` of one shape.
    public static func psnr(_ a: Tensor, _ b: Tensor, peak: Double = 1) -> [Double] {
        require(a.shape == b.shape && a.rank >= 2, "psnr: images of shapes \(a.shape) and \(b.shape) should match as [N, ...]")
        let n = a.shape[0], size = a.shape.elementCount / max(n, 1)
        let (x, y) = (a.scalars, b.scalars)
        return (0..<n).map { i in
            var sum = 0.0
            for p in (i * size)..<((i + 1) * size) { let d = Double(x[p]) - Double(y[p]); sum += d * d }
            return 10 * log10(peak * peak / (sum / Double(size)))
        }
    }

    /// Structural similarity of each grayscale image (Wang et al. 2004): local means, variances
    /// and covariance under an 11x11 Gaussian window of σ = 1.5, `K₁ = 0.01`, `K₂ = 0.03`, averaged
    /// over the positions where the window fits (as `skimage.metrics.structural_similarity` with
    /// `gaussian_weights=True`, `use_sample_covariance=False` computes it). `[N, H, W]` or `[N, 1, H, W]`.
    public static func ssim(_ a: Tensor, _ b: Tensor, peak: Double = 1) -> [Double] {
        require(a.shape == b.shape && (a.rank == 3 || (a.rank == 4 && a.shape[1] == 1)),
                "ssim: grayscale images [N, H, W] or [N, 1, H, W] of one shape, got \(a.shape) and \(b.shape)")
        let (n, h, w) = (a.shape[0], a.shape[a.rank - 2], a.shape[a.rank - 1])
        let radius = 5, size = 2 * radius + 1
        require(h >= size && w >= size, "ssim: images must be at least \(size)x\(size), got \(h)x\(w)")
        let raw = (-radius...radius).map { exp(-Double($0 * $0) / (2 * 1.5 * 1.5)) }
        let window = raw.map { $0 / raw.reduce(0, +) }
        let (c1, c2) = ((0.01 * peak) * (0.01 * peak), (0.03 * peak) * (0.03 * peak))
        let (oh, ow) = (h - size + 1, w - size + 1)
        let (x, y) = (a.scalars, b.scalars)
        /// The window's weighted mean of `f` at each valid position: rows, then columns.
        func filter(_ f: [Double]) -> [Double] {
            var rows = [Double](repeating: 0, count: h * ow)
            for r in 0..<h { for c in 0..<ow { var s = 0.0; for k in 0..<size { s += window[k] * f[r * w + c + k] }; rows[r * ow + c] = s } }
            var out = [Double](repeating: 0, count: oh * ow)
            for r in 0..<oh { for c in 0..<ow { var s = 0.0; for k in 0..<size { s += window[k] * rows[(r + k) * ow + c] }; out[r * ow + c] = s } }
            return out
        }
        return (0..<n).map { i in
            let p = (i * h * w)..<((i + 1) * h * w)
            let u = x[p].map(Double.init), v = y[p].map(Double.init)
            let (mu, mv) = (filter(u), filter(v))
            let (uu, vv, uv) = (filter(zip(u, u).map(*)), filter(zip(v, v).map(*)), filter(zip(u, v).map(*)))
            var total = 0.0
            for k in 0..<(oh * ow) {
                let (su, sv, suv) = (uu[k] - mu[k] * mu[k], vv[k] - mv[k] * mv[k], uv[k] - mu[k] * mv[k])
                total += (2 * mu[k] * mv[k] + c1) * (2 * suv + c2) / ((mu[k] * mu[k] + mv[k] * mv[k] + c1) * (su + sv + c2))
            }
            return total / Double(oh * ow)
        }
    }

    /// The mean of `values`.
    public static func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(max(values.count, 1)) }
}
