import CSIMD

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
                    forwardRow(z: zr, xp: xr, cPrev: cPrev, h: out, c: out + h, hidden: h)
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
                    backwardRow(saved: zr, dout: dout, dh: dhr, dc: dcr, cPrev: cPrev, dz: dzr, hidden: h)
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

    /// One row of a step, forward: from the state's share of the gates `z` (4H) and the input's
    /// `xp` (4H), with `cPrev` (H), writes `h` and `c` (H each) and overwrites `z` with the
    /// activated gates and `tanh(c)` (5H).
    @inline(__always)
    static func forwardRow(
        z: UnsafeMutablePointer<Float>, xp: UnsafePointer<Float>, cPrev: UnsafePointer<Float>,
        h: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>, hidden: Int
    ) {
        #if arch(x86_64)
        if VectorMath.usesAVX2 { return csimd_lstm_forward_row(z, xp, cPrev, h, c, hidden) }
        #endif
        portableForwardRow(z: z, xp: xp, cPrev: cPrev, h: h, c: c, hidden: hidden)
    }

    static func portableForwardRow(
        z: UnsafeMutablePointer<Float>, xp: UnsafePointer<Float>, cPrev: UnsafePointer<Float>,
        h: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>, hidden: Int
    ) {
        let n = hidden
        var j = 0
        while j < n {
            let width = min(8, n - j)
            func load(_ p: UnsafePointer<Float>) -> VectorMath.V { VectorMath.load(p, count: width) }
            func store(_ v: VectorMath.V, _ p: UnsafeMutablePointer<Float>) { VectorMath.store(v, p, count: width) }
            let i = VectorMath.sigmoid(load(z + j) + load(xp + j))
            let f = VectorMath.sigmoid(load(z + n + j) + load(xp + n + j))
            let g = VectorMath.tanh(load(z + 2 * n + j) + load(xp + 2 * n + j))
            let o = VectorMath.sigmoid(load(z + 3 * n + j) + load(xp + 3 * n + j))
            let cell = f * load(cPrev + j) + i * g
            let tc = VectorMath.tanh(cell)
            store(o * tc, h + j)
            store(cell, c + j)
            store(i, z + j)
            store(f, z + n + j)
            store(g, z + 2 * n + j)
            store(o, z + 3 * n + j)
            store(tc, z + 4 * n + j)
            j += width
        }
    }

    /// One row of a step, backward: from the saved gates and `tanh(c)` (5H), the gradients
    /// reaching `h` and `c` from the output (`dout`, 2H) and from the next step (`dh`, `dc`),
    /// and `cPrev`, writes the gates' pre-activation gradients `dz` (4H) and replaces `dc` with
    /// the gradient for the previous step's `c`.
    @inline(__always)
    static func backwardRow(
        saved: UnsafePointer<Float>, dout: UnsafePointer<Float>, dh: UnsafePointer<Float>, dc: UnsafeMutablePointer<Float>,
        cPrev: UnsafePointer<Float>, dz: UnsafeMutablePointer<Float>, hidden: Int
    ) {
        #if arch(x86_64)
        if VectorMath.usesAVX2 { return csimd_lstm_backward_row(saved, dout, dh, dc, cPrev, dz, hidden) }
        #endif
        portableBackwardRow(saved: saved, dout: dout, dh: dh, dc: dc, cPrev: cPrev, dz: dz, hidden: hidden)
    }

    static func portableBackwardRow(
        saved: UnsafePointer<Float>, dout: UnsafePointer<Float>, dh dhNext: UnsafePointer<Float>,
        dc dcNext: UnsafeMutablePointer<Float>, cPrev: UnsafePointer<Float>, dz: UnsafeMutablePointer<Float>, hidden: Int
    ) {
        let n = hidden
        var j = 0
        while j < n {
            let width = min(8, n - j)
            func load(_ p: UnsafePointer<Float>) -> VectorMath.V { VectorMath.load(p, count: width) }
            func store(_ v: VectorMath.V, _ p: UnsafeMutablePointer<Float>) { VectorMath.store(v, p, count: width) }
            let (i, f) = (load(saved + j), load(saved + n + j))
            let (g, o) = (load(saved + 2 * n + j), load(saved + 3 * n + j))
            let tc = load(saved + 4 * n + j)
            let dh = load(dout + j) + load(dhNext + j)
            let dc = load(dout + n + j) + load(dcNext + j) + dh * o * (1 - tc * tc)
            store(dc * g * i * (1 - i), dz + j)
            store(dc * load(cPrev + j) * f * (1 - f), dz + n + j)
            store(dc * i * (1 - g * g), dz + 2 * n + j)
            store(dh * tc * o * (1 - o), dz + 3 * n + j)
            store(dc * f, dcNext + j)
            j += width
        }
    }

    /// Rows per core: enough that a core's share of the recurrence (4H·H multiply-adds per row
    /// and step) is worth waking it for; small batches stay on the calling thread.
    static func rowGrain(hidden h: Int, steps: Int) -> Int { max(1, (1 << 20) / max(1, 4 * h * h * steps)) }
}
