/// Single-precision matrix products on row-major buffers.
public enum Gemm {
    /// `c = alpha * op(a) * op(b) + beta * c`, row-major, where `op(x)` is `x` or its transpose.
    ///
    /// Shape: `op(a)` is `[m, k]`, `op(b)` is `[k, n]`, `c` is `[m, n]`; `lda`, `ldb`, `ldc` are
    /// the row strides of the buffers as stored. Uses the system BLAS when one was loaded. Large
    /// products are cut into blocks of columns (or rows) of `c`, one per core, unless
    /// `splitOverCores` is false: callers that already run one product per core pass false.
    public static func sgemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int, splitOverCores: Bool = true
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            scale(c, rows: m, columns: n, ldc: ldc, by: beta)
            return
        }
        guard let blas = BLAS.library else {
            // The fallback splits rows over the cores itself.
            if splitOverCores {
                fallback(
                    transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                    a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            } else {
                blockedProduct(
                    rows: 0..<m, transposeA: transposeA, transposeB: transposeB, n: n, k: k, alpha: alpha,
                    a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            }
            return
        }
        @inline(__always) func product(rows: Range<Int>, columns: Range<Int>) {
            let (i0, j0) = (rows.lowerBound, columns.lowerBound)
            blas.sgemm(
                101, transposeA ? 112 : 111, transposeB ? 112 : 111, Int32(rows.count), Int32(columns.count), Int32(k),
                alpha, a + (transposeA ? i0 : i0 * lda), Int32(lda), b + (transposeB ? j0 * ldb : j0), Int32(ldb),
                beta, c + i0 * ldc + j0, Int32(ldc))
        }
        // Blocks of at least `minimumWork` multiply-adds, aligned to 16 columns or 8 rows.
        let parts = splitOverCores ? min(Parallel.coreCount, m * n * k / minimumWork) : 1
        if parts <= 1 {
            product(rows: 0..<m, columns: 0..<n)
        } else if n >= m {
            let blocks = (n + 15) / 16
            Parallel.forChunks(of: parts, grain: 1) { range in
                for part in range {
                    let lower = min(n, blocks * part / parts * 16), upper = min(n, blocks * (part + 1) / parts * 16)
                    if upper > lower { product(rows: 0..<m, columns: lower..<upper) }
                }
            }
        } else {
            let blocks = (m + 7) / 8
            Parallel.forChunks(of: parts, grain: 1) { range in
                for part in range {
                    let lower = min(m, blocks * part / parts * 8), upper = min(m, blocks * (part + 1) / parts * 8)
                    if upper > lower { product(rows: lower..<upper, columns: 0..<n) }
                }
            }
        }
    }

    /// The least work (multiply-adds) worth handing to another core.
    static let minimumWork = 1 << 20

    static func scale(_ c: UnsafeMutablePointer<Float>, rows: Int, columns: Int, ldc: Int, by beta: Float) {
        for i in 0..<rows {
            let row = c + i * ldc
            for j in 0..<columns { row[j] = beta == 0 ? 0 : beta * row[j] }
        }
    }

    // MARK: Portable fallback
    //
    // The classic three-level blocking (Goto/BLIS): a KC-deep slice of B is packed into panels of
    // NR columns, an MC x KC block of A into panels of MR rows, and a register-resident MR x NR
    // micro-kernel streams through both. Rows of C are split over the cores.

    static let mr = 6
    static let nr = 8
    static let kc = 256
    static let mc = 72

    /// The portable Swift product, used when no BLAS is loaded; public so tests can compare paths.
    public static func fallback(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        // Work per row of C is n * k multiply-adds; give each thread enough of it.
        let rowGrain = max(mr, (1 << 18) / max(1, n * k))
        Parallel.forChunks(of: m, grain: rowGrain) { rows in
            blockedProduct(
                rows: rows, transposeA: transposeA, transposeB: transposeB, n: n, k: k,
                alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
    }

    static func alignedFloats(_ count: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: count)
    }

    static func blockedProduct(
        rows: Range<Int>, transposeA: Bool, transposeB: Bool, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let panelsN = (n + nr - 1) / nr
        // The micro-kernel uses aligned vector loads from the packed buffers.
        let packedB = alignedFloats(panelsN * nr * kc)
        let packedA = alignedFloats((mc + mr) * kc * 4)
        let tile = alignedFloats(mr * nr)
        defer {
            packedB.deallocate()
            packedA.deallocate()
            tile.deallocate()
        }
        var p0 = 0
        while p0 < k {
            let kb = min(kc, k - p0)
            // The first slice applies beta; later slices accumulate into C.
            let sliceBeta: Float = p0 == 0 ? beta : 1
            packB(b, ldb: ldb, transposed: transposeB, k0: p0, kb: kb, n: n, into: packedB)
            var i0 = rows.lowerBound
            while i0 < rows.upperBound {
                let ib = min(mc, rows.upperBound - i0)
                packA(a, lda: lda, transposed: transposeA, i0: i0, ib: ib, k0: p0, kb: kb, into: packedA)
                // One B micro-panel stays in L1 while the A block (in L2) streams past it.
                for panelJ in 0..<panelsN {
                    let colsHere = min(nr, n - panelJ * nr)
                    let bPanel = packedB + panelJ * nr * kb
                    for panelI in 0..<((ib + mr - 1) / mr) {
                        let rowsHere = min(mr, ib - panelI * mr)
                        let aPanel = packedA + panelI * mr * kb * 4
                        let cBlock = c + (i0 + panelI * mr) * ldc + panelJ * nr
                        if rowsHere == mr && colsHere == nr {
                            microKernel(kb, aPanel, bPanel, alpha: alpha, beta: sliceBeta, c: cBlock, ldc: ldc)
                        } else {
                            // Edge tile: compute a full tile into scratch, then merge what fits.
                            microKernel(kb, aPanel, bPanel, alpha: alpha, beta: 0, c: tile, ldc: nr)
                            for r in 0..<rowsHere {
                                for j in 0..<colsHere {
                                    let old = sliceBeta == 0 ? 0 : sliceBeta * cBlock[r * ldc + j]
                                    cBlock[r * ldc + j] = old + tile[r * nr + j]
                                }
                            }
                        }
                    }
                }
                i0 += ib
            }
            p0 += kb
        }
    }

    /// Packs `op(B)[k0..<k0+kb, 0..<n]` into panels of `nr` columns, zero-padding the last.
    @inline(__always)
    static func packB(
        _ b: UnsafePointer<Float>, ldb: Int, transposed: Bool, k0: Int, kb: Int, n: Int,
        into dst: UnsafeMutablePointer<Float>
    ) {
        let panels = (n + nr - 1) / nr
        for panel in 0..<panels {
            let j0 = panel * nr
            let cols = min(nr, n - j0)
            let out = dst + panel * nr * kb
            for p in 0..<kb {
                let o = out + p * nr
                if transposed {
                    for j in 0..<cols { o[j] = b[(j0 + j) * ldb + k0 + p] }
                } else {
                    let src = b + (k0 + p) * ldb + j0
                    for j in 0..<cols { o[j] = src[j] }
                }
                for j in cols..<nr { o[j] = 0 }
            }
        }
    }

    /// Packs `op(A)[i0..<i0+ib, k0..<k0+kb]` into panels of `mr` rows, zero-padding the last.
    /// Each element is stored four times over, so the micro-kernel loads ready-made broadcasts
    /// instead of spending shuffle instructions on them (128-bit SIMD has no broadcast load).
    @inline(__always)
    static func packA(
        _ a: UnsafePointer<Float>, lda: Int, transposed: Bool, i0: Int, ib: Int, k0: Int, kb: Int,
        into dst: UnsafeMutablePointer<Float>
    ) {
        let panels = (ib + mr - 1) / mr
        for panel in 0..<panels {
            let r0 = panel * mr
            let rowsHere = min(mr, ib - r0)
            let out = UnsafeMutableRawPointer(dst + panel * mr * kb * 4)
            for p in 0..<kb {
                for r in 0..<mr {
                    let i = i0 + r0 + r
                    let value: Float =
                        r >= rowsHere ? 0 : transposed ? a[(k0 + p) * lda + i] : a[i * lda + k0 + p]
                    out.storeBytes(
                        of: SIMD4(repeating: value), toByteOffset: (p * mr + r) * 16, as: SIMD4<Float>.self)
                }
            }
        }
    }

    /// `c[0..<6, 0..<8] = alpha * aPanel * bPanel + beta * c` with twelve 4-wide accumulators.
    @inline(__always)
    static func microKernel(
        _ kb: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, alpha: Float, beta: Float,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        typealias V = SIMD4<Float>
        var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
        var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
        var ap = UnsafeRawPointer(a)
        var bp = UnsafeRawPointer(b)
        for _ in 0..<kb {
            let b0 = bp.load(as: V.self)
            let b1 = bp.load(fromByteOffset: 16, as: V.self)
            var av = ap.load(as: V.self)
            c00 += av * b0; c01 += av * b1
            av = ap.load(fromByteOffset: 16, as: V.self)
            c10 += av * b0; c11 += av * b1
            av = ap.load(fromByteOffset: 32, as: V.self)
            c20 += av * b0; c21 += av * b1
            av = ap.load(fromByteOffset: 48, as: V.self)
            c30 += av * b0; c31 += av * b1
            av = ap.load(fromByteOffset: 64, as: V.self)
            c40 += av * b0; c41 += av * b1
            av = ap.load(fromByteOffset: 80, as: V.self)
            c50 += av * b0; c51 += av * b1
            ap += 96
            bp += 32
        }
        let rawC = UnsafeMutableRawPointer(c)
        let stride = ldc * 4
        @inline(__always) func store(_ acc: V, _ row: Int, _ half: Int) {
            let offset = row * stride + half * 16
            var value = acc * alpha
            if beta != 0 {
                value += beta * rawC.loadUnaligned(fromByteOffset: offset, as: V.self)
            }
            rawC.storeBytes(of: value, toByteOffset: offset, as: V.self)
        }
        store(c00, 0, 0); store(c01, 0, 1); store(c10, 1, 0); store(c11, 1, 1)
        store(c20, 2, 0); store(c21, 2, 1); store(c30, 3, 0); store(c31, 3, 1)
        store(c40, 4, 0); store(c41, 4, 1); store(c50, 5, 0); store(c51, 5, 1)
    }
}
