import CSIMD

/// The int8 matrix product of quantized inference: `c[i][j] = Σₚ a[i][p] b[j][p]` in exact
/// int32, with activations `a` (uint8, m rows of k, each at most 127: a 7-bit range) and
/// weights `b` (int8, n rows of k: one row per output, as a Linear layer stores them). Rows of
/// `a` are split over the cores. The AVX2 kernel (`vpmaddubsw` and `vpmaddwd`, in CSIMD) runs
/// where cpuid reports AVX2; the portable C loop is the reference it must equal.
public enum Int8Gemm {
    public enum Path: String, Sendable, CaseIterable {
        case portable, avx2
    }

    /// The paths this processor can run, fastest last.
    public static var availablePaths: [Path] {
        #if arch(x86_64)
        return VectorMath.usesAVX2 ? [.portable, .avx2] : [.portable]
        #else
        return [.portable]
        #endif
    }

    private static func checkPath(_ path: Path) {
        guard availablePaths.contains(path) else { fatalError("Int8Gemm: the \(path) path needs a processor with it") }
    }

    /// The path `multiply` takes unless told.
    public static var defaultPath: Path { availablePaths.last! }

    /// `c` (m x n, row stride `ldc`) = `a` (m x k) times the transpose of `b` (n x k).
    public static func multiply(
        _ a: UnsafePointer<UInt8>, _ b: UnsafePointer<Int8>, _ c: UnsafeMutablePointer<Int32>,
        m: Int, n: Int, k: Int, ldc: Int? = nil, path: Path = defaultPath
    ) {
        let ldc = ldc ?? n
        // Callers (TensorCore) check their operands; these guard the raw entry points. fatalError
        // keeps its message in release builds.
        guard m >= 0 && n >= 0 && k >= 0 && ldc >= n else { fatalError("Int8Gemm: bad sizes \(m) x \(n) x \(k), ldc \(ldc)") }
        checkPath(path)
        guard m > 0 && n > 0 else { return }
        // A row's work is n k multiply-adds; aim for chunks of ~2^17 of them.
        let grain = Swift.max(1, (1 << 17) / Swift.max(1, n * k))
        Parallel.forChunks(of: m, grain: grain) { rows in
            let (ra, rc) = (a + rows.lowerBound * k, c + rows.lowerBound * ldc)
            switch path {
            case .portable:
                csimd_qgemm_u8s8_portable(ra, b, rc, rows.count, n, k, ldc)
            case .avx2:
                #if arch(x86_64)
                csimd_qgemm_u8s8_avx2(ra, b, rc, rows.count, n, k, ldc)
                #endif
            }
        }
    }

    /// 7-bit codes of `count` activations: round(x inverseScale + zeroPoint) in 0...127 (fused
    /// multiply-add, round to nearest even, NaN to 0), split over the cores.
    public static func quantize(_ x: UnsafePointer<Float>, _ q: UnsafeMutablePointer<UInt8>, count: Int, inverseScale: Float,
                                zeroPoint: Float, path: Path = defaultPath) {
        checkPath(path)
        Parallel.forChunks(of: count) { r in
            switch path {
            case .portable: csimd_quantize_u7_portable(x + r.lowerBound, q + r.lowerBound, r.count, inverseScale, zeroPoint)
            case .avx2:
                #if arch(x86_64)
                csimd_quantize_u7_avx2(x + r.lowerBound, q + r.lowerBound, r.count, inverseScale, zeroPoint)
                #endif
            }
        }
    }

    /// The output pass of a quantized product over `rows` x `columns`: y = (acc - corrections[j])
    /// scales[j] + bias[j] (one fused multiply-add), then max(y, 0) when `relu`; rows split over the cores.
    public static func dequantize(_ acc: UnsafePointer<Int32>, _ y: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
                                  scales: UnsafePointer<Float>, bias: UnsafePointer<Float>, corrections: UnsafePointer<Int32>,
                                  relu: Bool, path: Path = defaultPath) {
        checkPath(path)
        Parallel.forChunks(of: rows, grain: Swift.max(1, Parallel.defaultGrain / Swift.max(columns, 1))) { r in
            let (a, out) = (acc + r.lowerBound * columns, y + r.lowerBound * columns)
            switch path {
            case .portable: csimd_dequantize_portable(a, out, r.count, columns, scales, bias, corrections, relu ? 1 : 0)
            case .avx2:
                #if arch(x86_64)
                csimd_dequantize_avx2(a, out, r.count, columns, scales, bias, corrections, relu ? 1 : 0)
                #endif
            }
        }
    }

    /// The convolution windows of `geometry.batch` images of uint8 codes as rows
    /// (`csimd_im2row_u8` per image, images split over the cores): `[N * OH * OW, C * KH * KW]`.
    public static func windows(_ x: UnsafePointer<UInt8>, _ rows: UnsafeMutablePointer<UInt8>, geometry g: ConvGeometry, pad: UInt8) {
        let (oh, ow) = (g.outputHeight, g.outputWidth)
        let (image, perImage) = (g.channels * g.height * g.width, oh * ow * g.channels * g.taps)
        Parallel.forChunks(of: g.batch, grain: 1) { r in
            for n in r {
                csimd_im2row_u8(x + n * image, rows + n * perImage, g.channels, g.height, g.width, g.kernelHeight, g.kernelWidth,
                                g.strideHeight, g.strideWidth, g.padTop, g.padLeft, g.dilationHeight, g.dilationWidth, oh, ow, pad)
            }
        }
    }
}
