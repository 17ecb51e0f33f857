import Testing
@testable import CPUBackend
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A textbook triple loop in double precision: the reference for both product paths.
func naiveProduct(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool) -> [Float] {
    var c = [Float](repeating: 0, count: m * n)
    for i in 0..<m {
        for j in 0..<n {
            var s = 0.0
            for p in 0..<k {
                let x = transposeA ? a[p * m + i] : a[i * k + p]
                let y = transposeB ? b[j * k + p] : b[p * n + j]
                s += Double(x) * Double(y)
            }
            c[i * n + j] = Float(s)
        }
    }
    return c
}

struct GemmCase: Sendable, CustomTestStringConvertible {
    let m, n, k: Int
    let transposeA, transposeB: Bool
    var testDescription: String { "\(m)x\(k) * \(k)x\(n) tA=\(transposeA) tB=\(transposeB)" }
}

// Sizes that are not multiples of the 6x8 tile or the 72/256 blocks, and the transposes.
let gemmCases: [GemmCase] = [
    GemmCase(m: 1, n: 1, k: 1, transposeA: false, transposeB: false),
    GemmCase(m: 7, n: 9, k: 5, transposeA: false, transposeB: false),
    GemmCase(m: 13, n: 17, k: 300, transposeA: true, transposeB: false),
    GemmCase(m: 80, n: 33, k: 20, transposeA: false, transposeB: true),
    GemmCase(m: 150, n: 70, k: 513, transposeA: true, transposeB: true),
]

/// Runs `product` as `c = 2 op(a) op(b) + 1 c` on a C of ones (so accumulation is checked too)
/// and compares it with the naive product.
func checkAgainstNaive(_ c: GemmCase, _ product: (
    _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int, _ c: UnsafeMutablePointer<Float>
) -> Void) {
    let a = (0..<(c.m * c.k)).map { Float(($0 * 7) % 13) / 13 - 0.5 }
    let b = (0..<(c.k * c.n)).map { Float(($0 * 5) % 11) / 11 - 0.5 }
    let expected = naiveProduct(a, b, m: c.m, n: c.n, k: c.k, transposeA: c.transposeA, transposeB: c.transposeB)
    var out = [Float](repeating: 1, count: c.m * c.n)
    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            out.withUnsafeMutableBufferPointer { pc in
                product(pa.baseAddress!, c.transposeA ? c.m : c.k, pb.baseAddress!, c.transposeB ? c.k : c.n, pc.baseAddress!)
            }
        }
    }
    // Element by element: a NaN fails `<` (the largest error of an array skips NaNs).
    let tolerance = 1e-3 * Float(c.k).squareRoot()
    let bad = zip(out, expected).enumerated().filter { !(Swift.abs($0.element.0 - (2 * $0.element.1 + 1)) < tolerance) }
    #expect(bad.isEmpty, "\(bad.count) elements differ, first at \(bad.first.map { "\($0.offset): \($0.element)" } ?? "")")
}

@Test("fallback product matches the naive one", arguments: gemmCases)
func fallbackMatchesNaive(_ c: GemmCase) {
    checkAgainstNaive(c) { a, lda, b, ldb, out in
        Gemm.fallback(transposeA: c.transposeA, transposeB: c.transposeB, m: c.m, n: c.n, k: c.k, alpha: 2,
                      a: a, lda: lda, b: b, ldb: ldb, beta: 1, c: out, ldc: c.n)
    }
}

/// The dispatching product (the system BLAS when one was loaded) and the fallback called
/// directly, each against the naive loop: with no BLAS the dispatch is the fallback, so only an
/// independent reference keeps this test able to fail.
@Test func dispatchedAndFallbackProductsMatchTheNaiveOne() {
    let m = 37, n = 41, k = 29
    let a = (0..<(m * k)).map { Float($0 % 17) / 17 }
    let b = (0..<(k * n)).map { Float($0 % 19) / 19 }
    let expected = naiveProduct(a, b, m: m, n: n, k: k, transposeA: false, transposeB: false)
    var viaDispatch = [Float](repeating: .nan, count: m * n)
    var viaFallback = viaDispatch
    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            viaDispatch.withUnsafeMutableBufferPointer { pc in
                Gemm.sgemm(transposeA: false, transposeB: false, m: m, n: n, k: k, a: pa.baseAddress!, lda: k,
                           b: pb.baseAddress!, ldb: n, c: pc.baseAddress!, ldc: n)
            }
            viaFallback.withUnsafeMutableBufferPointer { pc in
                Gemm.fallback(transposeA: false, transposeB: false, m: m, n: n, k: k, alpha: 1, a: pa.baseAddress!,
                              lda: k, b: pb.baseAddress!, ldb: n, beta: 0, c: pc.baseAddress!, ldc: n)
            }
        }
    }
    // `<=` fails on NaN, so a C left unwritten (it starts as NaN) fails too.
    func matches(_ c: [Float]) -> Bool { zip(c, expected).allSatisfy { Swift.abs($0 - $1) <= 1e-4 * Swift.max(1, Swift.abs($1)) } }
    #expect(matches(viaDispatch), "dispatched product (\(BLAS.backendName)) differs from the naive one")
    #expect(matches(viaFallback), "fallback product differs from the naive one")
    let forcedFallback = getenv("DEEPLEARN_BLAS").map { String(cString: $0).lowercased() } == "none"
    #expect(BLAS.backendName == (forcedFallback || BLAS.library == nil ? "fallback" : "blas"))
    if forcedFallback { #expect(BLAS.library == nil) }
}

@Test("dispatched product matches the naive one", arguments: gemmCases)
func dispatchedProductMatchesNaive(_ c: GemmCase) {
    checkAgainstNaive(c) { a, lda, b, ldb, out in
        Gemm.sgemm(transposeA: c.transposeA, transposeB: c.transposeB, m: c.m, n: c.n, k: c.k, alpha: 2,
                   a: a, lda: lda, b: b, ldb: ldb, beta: 1, c: out, ldc: c.n)
    }
}

// Products large enough to be cut over the cores (at least 2^21 multiply-adds): by columns when
// C is wide, by rows when tall; and the same ones kept on the calling thread.
let splitCases: [GemmCase] = [
    GemmCase(m: 70, n: 301, k: 130, transposeA: false, transposeB: false),
    GemmCase(m: 70, n: 301, k: 130, transposeA: true, transposeB: true),
    GemmCase(m: 303, n: 41, k: 200, transposeA: false, transposeB: true),
    GemmCase(m: 303, n: 41, k: 200, transposeA: true, transposeB: false),
]

@Test("split products match the naive one", arguments: splitCases, [true, false])
func splitProductMatchesNaive(_ c: GemmCase, splitOverCores: Bool) {
    checkAgainstNaive(c) { a, lda, b, ldb, out in
        Gemm.sgemm(transposeA: c.transposeA, transposeB: c.transposeB, m: c.m, n: c.n, k: c.k, alpha: 2,
                   a: a, lda: lda, b: b, ldb: ldb, beta: 1, c: out, ldc: c.n, splitOverCores: splitOverCores)
    }
}
