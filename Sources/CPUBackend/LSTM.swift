/// A whole LSTM layer's recurrence as one kernel, forward and backward (what PyTorch and cuDNN
/// fuse too): per step one `sgemm` for the state's share of the gates and one pass over the
/// gates; backward, one `sgemm` per step for the state's gradient and a single `sgemm` over all
/// steps for the recurrent weights' gradient. The batch's rows are independent, so each core
/// runs its share of them through every step with no barrier between steps.
///
/// Layouts (row-major): projected input `xp` `[N, T, 4H]` (the input's share of the gates with
/// both biases, PyTorch's gate order i, f, g, o); `wHH` `[4H, H]`; `h0`, `c0` `[N, H]`; output
/// `[N, T, 2H]`, each step's `h` then `c`; `saved` `[T, N, 5H]`, the activated gates and
/// `tanh(c)` kept for the backward pass (`savedWidth` columns per row).
public enum LSTMKernels {
    /// Columns per row of the buffer the forward pass saves for the backward pass: the four
    /// activated gates and `tanh(c)`, `H` each.
    public static func savedWidth(hidden h: Int) -> Int { 5 * h }

    public static func forward(
        xp: UnsafePointer<Float>, wHH: UnsafePointer<Float>, h0: UnsafePointer<Float>, c0: UnsafePointer<Float>,
        batch n: Int, steps: Int, hidden h: Int, output: UnsafeMutablePointer<Float>, saved: UnsafeMutablePointer<Float>
    ) {
        let (g4, ls) = (4 * h, savedWidth(hidden: h))
        Parallel.forChunks(of: n, grain: rowGrain(hidden: h, steps: steps)) { rows in
            let (r0, m) = (rows.lowerBound, rows.count)
            for t in 0..<steps {
                let z = saved + t * n * ls
                // z = h_{t-1} Wₕₕᵀ, then the gate pass adds this step's xp.
                let (hPrev, ldh) = t == 0 ? (h0 + r0 * h, h) : (UnsafePointer(output + (r0 * steps + t - 1) * 2 * h), steps * 2 * h)
                Gemm.sgemm(transposeA: false, transposeB: true, m: m, n: g4, k: h, a: hPrev, lda: ldh, b: wHH, ldb: h,
                           beta: 0, c: z + r0 * ls, ldc: ls, splitOverCores: false)
                for row in rows {
                    let zr = z + row * ls
                    let xr = xp + (row * steps + t) * g4
                    let out = output + (row * steps + t) * 2 * h
                    let cPrev = t == 0 ? c0 + row * h : UnsafePointer(out - h)
                    var j = 0
                    while j < h {
                        let width = min(8, h - j)
                        let i = VectorMath.sigmoid(load(zr + j, width) + load(xr + j, width))
                        let f = VectorMath.sigmoid(load(zr + h + j, width) + load(xr + h + j, width))
                        let g = VectorMath.tanh(load(zr + 2 * h + j, width) + load(xr + 2 * h + j, width))
                        let o = VectorMath.sigmoid(load(zr + 3 * h + j, width) + load(xr + 3 * h + j, width))
                        let c = f * load(cPrev + j, width) + i * g
                        let tc = VectorMath.tanh(c)
                        store(o * tc, out + j, width)
                        store(c, out + h + j, width)
                        store(i, zr + j, width)
                        store(f, zr + h + j, width)
                        store(g, zr + 2 * h + j, width)
                        store(o, zr + 3 * h + j, width)
                        store(tc, zr + 4 * h + j, width)
                        j += width
                    }
                }
            }
        }
    }

    /// Gradients from `dy` (`[N, T, 2H]`, for each step's `h` and `c`): `dxp` `[N, T, 4H]` (the
    /// gates' pre-activation gradients), `dwHH` `[4H, H]`, `dh0` and `dc0` `[N, H]`.
    public static func backward(
        dy: UnsafePointer<Float>, wHH: UnsafePointer<Float>, h0: UnsafePointer<Float>, c0: UnsafePointer<Float>,
        output: UnsafePointer<Float>, saved: UnsafePointer<Float>, batch n: Int, steps: Int, hidden h: Int,
        dxp: UnsafeMutablePointer<Float>, dwHH: UnsafeMutablePointer<Float>, dh0: UnsafeMutablePointer<Float>,
        dc0: UnsafeMutablePointer<Float>
    ) {
        let (g4, ls) = (4 * h, savedWidth(hidden: h))
        // dh0 and dc0 carry the gradients reaching step t - 1 from later steps. As forward, each
        // core runs its share of the rows through all the steps.
        let (dhNext, dcNext) = (dh0, dc0)
        Parallel.forChunks(of: n, grain: rowGrain(hidden: h, steps: steps)) { rows in
            let (r0, m) = (rows.lowerBound, rows.count)
            (dhNext + r0 * h).initialize(repeating: 0, count: m * h)
            (dcNext + r0 * h).initialize(repeating: 0, count: m * h)
            for t in (0..<steps).reversed() {
                let z = saved + t * n * ls
                for row in rows {
                    let zr = z + row * ls
                    let dzr = dxp + (row * steps + t) * g4
                    let out = output + (row * steps + t) * 2 * h
                    let dout = dy + (row * steps + t) * 2 * h
                    let cPrev = t == 0 ? c0 + row * h : out - h
                    let (dhr, dcr) = (dhNext + row * h, dcNext + row * h)
                    var j = 0
                    while j < h {
                        let width = min(8, h - j)
                        let (i, f) = (load(zr + j, width), load(zr + h + j, width))
                        let (g, o) = (load(zr + 2 * h + j, width), load(zr + 3 * h + j, width))
                        let tc = load(zr + 4 * h + j, width)
                        let dh = load(dout + j, width) + load(dhr + j, width)
                        let dc = load(dout + h + j, width) + load(dcr + j, width) + dh * o * (1 - tc * tc)
                        store(dc * g * i * (1 - i), dzr + j, width)
                        store(dc * load(cPrev + j, width) * f * (1 - f), dzr + h + j, width)
                        store(dc * i * (1 - g * g), dzr + 2 * h + j, width)
                        store(dh * tc * o * (1 - o), dzr + 3 * h + j, width)
                        store(dc * f, dcr + j, width)
                        j += width
                    }
                }
                // dh_{t-1} = dz Wₕₕ, with this step's dz read in place from dxp.
                Gemm.sgemm(transposeA: false, transposeB: false, m: m, n: h, k: g4, a: dxp + (r0 * steps + t) * g4,
                           lda: steps * g4, b: wHH, ldb: h, beta: 0, c: dhNext + r0 * h, ldc: h, splitOverCores: false)
            }
        }
        // dWₕₕ = Σ dzᵀ h_{t-1} over all rows and steps, one product: [4H, N·T] x [N·T, H], with
        // h_{t-1} gathered in dxp's row order.
        let hPrev = UnsafeMutablePointer<Float>.allocate(capacity: n * steps * h)
        defer { hPrev.deallocate() }
        for row in 0..<n {
            (hPrev + row * steps * h).update(from: h0 + row * h, count: h)
            for t in 1..<steps {
                (hPrev + (row * steps + t) * h).update(from: output + (row * steps + t - 1) * 2 * h, count: h)
            }
        }
        Gemm.sgemm(transposeA: true, transposeB: false, m: g4, n: h, k: n * steps, a: dxp, lda: g4, b: hPrev, ldb: h,
                   beta: 0, c: dwHH, ldc: h)
    }

    /// Rows per core: enough that a core's share of the recurrence (4H·H multiply-adds per row
    /// and step) is worth waking it for; small batches stay on the calling thread.
    static func rowGrain(hidden h: Int, steps: Int) -> Int { max(1, (1 << 20) / max(1, 4 * h * h * steps)) }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ width: Int) -> VectorMath.V {
        if width == 8 { return UnsafeRawPointer(p).loadUnaligned(as: VectorMath.V.self) }
        var v = VectorMath.V()
        for k in 0..<width { v[k] = p[k] }
        return v
    }

    @inline(__always)
    static func load(_ p: UnsafeMutablePointer<Float>, _ width: Int) -> VectorMath.V { load(UnsafePointer(p), width) }

    @inline(__always)
    static func store(_ v: VectorMath.V, _ p: UnsafeMutablePointer<Float>, _ width: Int) {
        if width == 8 { UnsafeMutableRawPointer(p).storeBytes(of: v, as: VectorMath.V.self); return }
        for k in 0..<width { p[k] = v[k] }
    }
}
