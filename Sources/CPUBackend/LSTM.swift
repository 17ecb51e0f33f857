/// A whole LSTM layer's recurrence as one kernel, forward and backward (what PyTorch and cuDNN
/// fuse too): per step one `sgemm` for the state's share of the gates and one pass over the
/// gates; backward, one `sgemm` per step for the state's gradient and a single `sgemm` over all
/// steps for the recurrent weights' gradient.
///
/// Layouts (row-major): projected input `xp` `[N, T, 4H]` (the input's share of the gates with
/// both biases, PyTorch's gate order i, f, g, o); `wHH` `[4H, H]`; `h0`, `c0` `[N, H]`; output
/// `[N, T, 2H]`, each step's `h` then `c`; `gates` `[T, N, 4H]`, the activated gates saved for
/// the backward pass.
public enum LSTMKernels {
    public static func forward(
        xp: UnsafePointer<Float>, wHH: UnsafePointer<Float>, h0: UnsafePointer<Float>, c0: UnsafePointer<Float>,
        batch n: Int, steps: Int, hidden h: Int, output: UnsafeMutablePointer<Float>, gates: UnsafeMutablePointer<Float>
    ) {
        let g4 = 4 * h
        for t in 0..<steps {
            let z = gates + t * n * g4
            for row in 0..<n { (z + row * g4).update(from: xp + (row * steps + t) * g4, count: g4) }
            // z += h_{t-1} Wₕₕᵀ
            let (hPrev, ldh) = t == 0 ? (h0, h) : (UnsafePointer(output + (t - 1) * 2 * h), steps * 2 * h)
            Gemm.sgemm(transposeA: false, transposeB: true, m: n, n: g4, k: h, a: hPrev, lda: ldh, b: wHH, ldb: h,
                       beta: 1, c: z, ldc: g4)
            Parallel.forChunks(of: n, grain: rowGrain(h)) { rows in for row in rows {
                let zr = z + row * g4
                let out = output + (row * steps + t) * 2 * h
                let cPrev = t == 0 ? c0 + row * h : UnsafePointer(out - h)
                var j = 0
                while j < h {
                    let width = min(8, h - j)
                    let i = VectorMath.sigmoid(load(zr + j, width))
                    let f = VectorMath.sigmoid(load(zr + h + j, width))
                    let g = VectorMath.tanh(load(zr + 2 * h + j, width))
                    let o = VectorMath.sigmoid(load(zr + 3 * h + j, width))
                    let c = f * load(cPrev + j, width) + i * g
                    store(o * VectorMath.tanh(c), out + j, width)
                    store(c, out + h + j, width)
                    store(i, zr + j, width)
                    store(f, zr + h + j, width)
                    store(g, zr + 2 * h + j, width)
                    store(o, zr + 3 * h + j, width)
                    j += width
                }
            } }
        }
    }

    /// Gradients from `dy` (`[N, T, 2H]`, for each step's `h` and `c`): `dxp` `[N, T, 4H]`,
    /// `dwHH` `[4H, H]`, `dh0` and `dc0` `[N, H]`; `dz` `[T, N, 4H]` is scratch for the gates'
    /// pre-activation gradients.
    public static func backward(
        dy: UnsafePointer<Float>, wHH: UnsafePointer<Float>, h0: UnsafePointer<Float>, c0: UnsafePointer<Float>,
        output: UnsafePointer<Float>, gates: UnsafePointer<Float>, batch n: Int, steps: Int, hidden h: Int,
        dz: UnsafeMutablePointer<Float>, dxp: UnsafeMutablePointer<Float>, dwHH: UnsafeMutablePointer<Float>, dh0: UnsafeMutablePointer<Float>,
        dc0: UnsafeMutablePointer<Float>
    ) {
        let g4 = 4 * h
        // dh0 and dc0 carry the gradients reaching step t - 1 from later steps.
        let (dhNext, dcNext) = (dh0, dc0)
        dhNext.initialize(repeating: 0, count: n * h)
        dcNext.initialize(repeating: 0, count: n * h)
        for t in (0..<steps).reversed() {
            let (z, dzt) = (gates + t * n * g4, dz + t * n * g4)
            Parallel.forChunks(of: n, grain: rowGrain(h)) { rows in for row in rows {
                let (zr, dzr) = (z + row * g4, dzt + row * g4)
                let out = output + (row * steps + t) * 2 * h
                let dout = dy + (row * steps + t) * 2 * h
                let cPrev = t == 0 ? c0 + row * h : out - h
                let (dhr, dcr) = (dhNext + row * h, dcNext + row * h)
                var j = 0
                while j < h {
                    let width = min(8, h - j)
                    let (i, f) = (load(zr + j, width), load(zr + h + j, width))
                    let (g, o) = (load(zr + 2 * h + j, width), load(zr + 3 * h + j, width))
                    let tc = VectorMath.tanh(load(out + h + j, width))
                    let dh = load(dout + j, width) + load(dhr + j, width)
                    let dc = load(dout + h + j, width) + load(dcr + j, width) + dh * o * (1 - tc * tc)
                    store(dc * g * i * (1 - i), dzr + j, width)
                    store(dc * load(cPrev + j, width) * f * (1 - f), dzr + h + j, width)
                    store(dc * i * (1 - g * g), dzr + 2 * h + j, width)
                    store(dh * tc * o * (1 - o), dzr + 3 * h + j, width)
                    store(dc * f, dcr + j, width)
                    j += width
                }
                (dxp + (row * steps + t) * g4).update(from: dzr, count: g4)
            } }
            // dh_{t-1} = dz Wₕₕ
            Gemm.sgemm(transposeA: false, transposeB: false, m: n, n: h, k: g4, a: dzt, lda: g4, b: wHH, ldb: h,
                       beta: 0, c: dhNext, ldc: h)
        }
        // dWₕₕ = Σₜ dzₜᵀ h_{t-1}, one product over the steps stacked: [4H, T·N] x [T·N, H].
        let hPrev = UnsafeMutablePointer<Float>.allocate(capacity: steps * n * h)
        defer { hPrev.deallocate() }
        hPrev.update(from: h0, count: n * h)
        for t in 1..<max(steps, 1) {
            for row in 0..<n { (hPrev + (t * n + row) * h).update(from: output + (row * steps + t - 1) * 2 * h, count: h) }
        }
        Gemm.sgemm(transposeA: true, transposeB: false, m: g4, n: h, k: steps * n, a: dz, lda: g4, b: hPrev, ldb: h,
                   beta: 0, c: dwHH, ldc: h)
    }

    /// Rows per core for a step's gate pass: about 4,096 gate elements, so small batches stay on
    /// one core.
    static func rowGrain(_ h: Int) -> Int { max(1, 4096 / (4 * h)) }

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
