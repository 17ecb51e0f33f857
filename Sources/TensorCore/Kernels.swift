import CPUBackend

/// The backend seam: every primitive's forward computation goes through here, and this is the
/// only place that knows which device runs it. Results carry no tape entry; callers record.
enum Kernels {
    static func unary(_ f: UnaryFunction, _ x: Tensor) -> Tensor {
        let out = TensorStorage(dtype: .float32, count: x.scalarCount)
        switch x.device {
        case .cpu: Elementwise.unary(f, x.storage.floats, out.floats, count: x.scalarCount)
        }
        return Tensor(shape: x.shape, storage: out)
    }

    static func binary(_ f: BinaryFunction, _ a: Tensor, _ b: Tensor, op: StaticString) -> Tensor {
        let shape = a.shape == b.shape ? a.shape : Shape.broadcast(a.shape, b.shape, op: "\(op)")
        let count = shape.elementCount
        let out = TensorStorage(dtype: .float32, count: count)
        let pa = a.storage.floats, pb = b.storage.floats, po = out.floats
        switch a.device {
        case .cpu:
            // Equal shapes skip all stride bookkeeping: small ops are dominated by it.
            if a.shape == b.shape {
                Elementwise.binary(f, pa, pb, po, count: count)
            } else {
                Elementwise.binary(
                    f, pa, strides: a.shape.broadcastStrides(to: shape), pb,
                    strides: b.shape.broadcastStrides(to: shape), po, shape: shape.dimensions)
            }
        }
        return Tensor(shape: shape, storage: out)
    }

    /// `a = f(a, b)` elementwise, `b` broadcast to `a`'s shape; `a`'s storage must be unique.
    static func binaryInPlace(_ f: BinaryFunction, _ a: Tensor, _ b: Tensor) {
        let p = a.storage.floats
        switch a.device {
        case .cpu:
            Elementwise.binary(
                f, p, strides: a.shape.contiguousStrides, b.storage.floats,
                strides: b.shape.broadcastStrides(to: a.shape), p, shape: a.shape.dimensions)
        }
    }

    static func select(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        let shape = Shape.broadcast(Shape.broadcast(condition.shape, a.shape, op: "select"), b.shape, op: "select")
        let out = TensorStorage(dtype: .float32, count: shape.elementCount)
        switch a.device {
        case .cpu:
            Elementwise.select(
                condition.storage.floats, strides: condition.shape.broadcastStrides(to: shape),
                a.storage.floats, strides: a.shape.broadcastStrides(to: shape),
                b.storage.floats, strides: b.shape.broadcastStrides(to: shape),
                out.floats, shape: shape.dimensions)
        }
        return Tensor(shape: shape, storage: out)
    }

    /// Reduces over sorted, distinct `axes`, keeping them with size 1.
    static func reduce(_ f: ReduceFunction, _ x: Tensor, axes: [Int]) -> Tensor {
        var current = x
        // One axis at a time, innermost first; runs of adjacent axes are merged into one.
        var remaining = axes
        while let last = remaining.popLast() {
            var first = last
            while let previous = remaining.last, previous == first - 1 {
                first = previous
                remaining.removeLast()
            }
            let (outer, length, inner) = split(current.shape, around: first...last)
            var newShape = current.shape.dimensions
            for axis in first...last { newShape[axis] = 1 }
            let out = TensorStorage(dtype: .float32, count: outer * inner)
            switch x.device {
            case .cpu:
                Reduce.reduce(f, current.storage.floats, outer: outer, length: length, inner: inner, out.floats)
            }
            current = Tensor(shape: Shape(newShape), storage: out)
        }
        return current
    }

    static func argExtremum(largest: Bool, _ x: Tensor, axis: Int) -> Tensor {
        let (outer, length, inner) = split(x.shape, at: axis)
        var newShape = x.shape.dimensions
        newShape[axis] = 1
        let out = TensorStorage(dtype: .int64, count: outer * inner)
        switch x.device {
        case .cpu:
            Reduce.argExtremum(
                largest: largest, x.storage.floats, outer: outer, length: length, inner: inner,
                out.raw.assumingMemoryBound(to: Int64.self))
        }
        return Tensor(shape: Shape(newShape), storage: out)
    }

    /// `op(a) @ op(b)` for rank-2 operands, or rank-3 ones with equal batch sizes.
    static func matmul(_ a: Tensor, _ b: Tensor, _ transposeA: Bool, _ transposeB: Bool) -> Tensor {
        let batch = a.rank == 3 ? a.shape[0] : 1
        let (ar, ac) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let (br, bc) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
        let m = transposeA ? ac : ar, k = transposeA ? ar : ac
        let n = transposeB ? br : bc
        let out = TensorStorage(dtype: .float32, count: batch * m * n)
        switch a.device {
        case .cpu:
            for i in 0..<batch {
                Gemm.sgemm(
                    transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                    a: a.storage.floats + i * ar * ac, lda: ac, b: b.storage.floats + i * br * bc, ldb: bc,
                    c: out.floats + i * m * n, ldc: n)
            }
        }
        return Tensor(shape: a.rank == 3 ? [batch, m, n] : [m, n], storage: out)
    }

    /// Reads `source` through `strides` (in elements, from `offset`) into a new contiguous tensor.
    static func gather(_ source: Tensor, shape: Shape, offset: Int = 0, strides: [Int]) -> Tensor {
        let out = TensorStorage(dtype: source.dtype, count: shape.elementCount)
        switch source.device {
        case .cpu:
            Copy.strided(
                shape: shape.dimensions, elementSize: source.dtype.byteCount,
                from: source.storage.raw + offset * source.dtype.byteCount, strides: strides,
                to: out.raw, strides: shape.contiguousStrides)
        }
        return Tensor(shape: shape, storage: out)
    }

    /// Writes all of `source` into `destination` (contiguous) through `strides` from `offset`.
    static func scatter(_ source: Tensor, into destination: TensorStorage, offset: Int, strides: [Int]) {
        switch source.device {
        case .cpu:
            Copy.strided(
                shape: source.shape.dimensions, elementSize: source.dtype.byteCount,
                from: source.storage.raw, strides: source.shape.contiguousStrides,
                to: destination.raw + offset * source.dtype.byteCount, strides: strides)
        }
    }

    /// The inverse of a slice: zeros of `shape` with `g` written where the slice read.
    static func unslice(_ g: Tensor, into shape: Shape, starts: [Int], strides: [Int]) -> Tensor {
        let out = TensorStorage.zeros(dtype: .float32, count: shape.elementCount)
        let base = shape.contiguousStrides
        let offset = zip(starts, base).reduce(0) { $0 + $1.0 * $1.1 }
        scatter(g, into: out, offset: offset, strides: zip(strides, base).map(*))
        return Tensor(shape: shape, storage: out)
    }

    /// Integer indices as `Int`, checked against `bound`.
    static func indices(_ index: Tensor, bound: Int, op: StaticString) -> [Int] {
        precondition(!index.dtype.isFloatingPoint, "\(op): indices must be int32 or int64, got \(index.dtype)")
        let values = index.integers
        for v in values where v < 0 || v >= bound {
            preconditionFailure("\(op): index \(v) is out of range 0..<\(bound)")
        }
        return values
    }

    /// `[outer, length, inner]` around `axis`.
    static func split(_ shape: Shape, at axis: Int) -> (outer: Int, length: Int, inner: Int) {
        split(shape, around: axis...axis)
    }

    /// `[outer, length, inner]` around the adjacent `axes` (`length` is their product).
    static func split(_ shape: Shape, around axes: ClosedRange<Int>) -> (outer: Int, length: Int, inner: Int) {
        let d = shape.dimensions
        return (d[..<axes.lowerBound].reduce(1, *), d[axes].reduce(1, *), d[(axes.upperBound + 1)...].reduce(1, *))
    }

    static func gatherAlong(_ x: Tensor, axis: Int, index: Tensor) -> Tensor {
        let (outer, length, inner) = split(x.shape, at: axis)
        let idx = indices(index, bound: length, op: "gathering")
        let out = TensorStorage(dtype: .float32, count: index.scalarCount)
        switch x.device {
        case .cpu:
            idx.withUnsafeBufferPointer {
                Indexing.gather(
                    x.storage.floats, outer: outer, length: length, inner: inner, index: $0.baseAddress!,
                    count: index.shape[axis], out.floats)
            }
        }
        return Tensor(shape: index.shape, storage: out)
    }

    static func scatterAddAlong(_ base: Tensor, axis: Int, index: Tensor, source: Tensor) -> Tensor {
        let (outer, length, inner) = split(base.shape, at: axis)
        let idx = indices(index, bound: length, op: "scatteringAdd")
        let out = base.storage.copy()
        switch base.device {
        case .cpu:
            idx.withUnsafeBufferPointer {
                Indexing.scatterAdd(
                    source.storage.floats, index: $0.baseAddress!, outer: outer, count: index.shape[axis],
                    inner: inner, into: out.floats, length: length)
            }
        }
        return Tensor(shape: base.shape, storage: out)
    }

    static func selectAlong(_ x: Tensor, axis: Int, index: Tensor) -> Tensor {
        let (outer, length, inner) = split(x.shape, at: axis)
        let idx = indices(index, bound: length, op: "selecting")
        var shape = x.shape
        shape[axis] = idx.count
        let out = TensorStorage(dtype: x.dtype, count: shape.elementCount)
        switch x.device {
        case .cpu:
            idx.withUnsafeBufferPointer {
                Indexing.select(
                    x.storage.raw, elementSize: x.dtype.byteCount, outer: outer, length: length,
                    inner: inner, index: $0.baseAddress!, count: idx.count, out.raw)
            }
        }
        return Tensor(shape: shape, storage: out)
    }

    static func addAlong(_ base: Tensor, axis: Int, index: Tensor, source: Tensor) -> Tensor {
        let (outer, length, inner) = split(base.shape, at: axis)
        let idx = indices(index, bound: length, op: "indexAdding")
        let out = base.storage.copy()
        switch base.device {
        case .cpu:
            idx.withUnsafeBufferPointer {
                Indexing.add(
                    source.storage.floats, index: $0.baseAddress!, outer: outer, count: idx.count,
                    inner: inner, into: out.floats, length: length)
            }
        }
        return Tensor(shape: base.shape, storage: out)
    }
}

// MARK: Convolution and pooling

extension Kernels {
    static func conv2d(_ x: Tensor, _ w: Tensor, _ g: ConvGeometry, groups: Int) -> Tensor {
        let oc = w.shape[0]
        let shape: Shape = [g.batch, oc, g.outputHeight, g.outputWidth]
        let out = TensorStorage(dtype: .float32, count: shape.elementCount)
        switch x.device {
        case .cpu:
            Convolution.forward(x.storage.floats, w.storage.floats, g, outChannels: oc, groups: groups, into: out.floats)
        }
        return Tensor(shape: shape, storage: out)
    }

    /// The gradients of `y = conv2d(x, w)` given `dy`: for the input and/or the weight, from one
    /// pass over `dy`. `x` is needed only for the weight's gradient.
    static func conv2dGradients(
        _ dy: Tensor, input x: Tensor?, weight w: Tensor, _ g: ConvGeometry, groups: Int, forInput: Bool, forWeight: Bool
    ) -> (input: Tensor?, weight: Tensor?) {
        let dx = forInput ? TensorStorage.zeros(dtype: .float32, count: g.batch * g.channels * g.height * g.width) : nil
        let dw = forWeight ? TensorStorage(dtype: .float32, count: w.scalarCount) : nil
        precondition(!forWeight || x != nil, "conv2dGradients: the weight's gradient needs the input")
        switch dy.device {
        case .cpu:
            Convolution.backward(
                dy.storage.floats, input: (x ?? dy).storage.floats, weight: w.storage.floats, g, outChannels: w.shape[0],
                groups: groups, inputGradient: dx?.floats, weightGradient: dw?.floats)
        }
        return (dx.map { Tensor(shape: [g.batch, g.channels, g.height, g.width], storage: $0) },
                dw.map { Tensor(shape: w.shape, storage: $0) })
    }

    static func maxPool2d(_ x: Tensor, _ g: ConvGeometry) -> (Tensor, [Int]) {
        let shape: Shape = [g.batch, g.channels, g.outputHeight, g.outputWidth]
        let out = TensorStorage(dtype: .float32, count: shape.elementCount)
        var argmax = [Int](repeating: -1, count: shape.elementCount)
        switch x.device {
        case .cpu:
            argmax.withUnsafeMutableBufferPointer { Pooling.maxPool(x.storage.floats, g, out.floats, argmax: $0.baseAddress!) }
        }
        return (Tensor(shape: shape, storage: out), argmax)
    }

    static func maxPool2dBackward(_ dy: Tensor, argmax: [Int], _ g: ConvGeometry, inputShape: Shape) -> Tensor {
        let out = TensorStorage.zeros(dtype: .float32, count: inputShape.elementCount)
        switch dy.device {
        case .cpu:
            argmax.withUnsafeBufferPointer { Pooling.maxPoolBackward(dy.storage.floats, argmax: $0.baseAddress!, g, into: out.floats) }
        }
        return Tensor(shape: inputShape, storage: out)
    }

    static func avgPool2d(_ x: Tensor, _ g: ConvGeometry, countPadding: Bool) -> Tensor {
        let shape: Shape = [g.batch, g.channels, g.outputHeight, g.outputWidth]
        let out = TensorStorage(dtype: .float32, count: shape.elementCount)
        switch x.device {
        case .cpu: Pooling.averagePool(x.storage.floats, g, countPadding: countPadding, out.floats)
        }
        return Tensor(shape: shape, storage: out)
    }

    static func avgPool2dBackward(_ dy: Tensor, _ g: ConvGeometry, countPadding: Bool, inputShape: Shape) -> Tensor {
        let out = TensorStorage.zeros(dtype: .float32, count: inputShape.elementCount)
        switch dy.device {
        case .cpu: Pooling.averagePoolBackward(dy.storage.floats, g, countPadding: countPadding, into: out.floats)
        }
        return Tensor(shape: inputShape, storage: out)
    }
}

// MARK: Batch normalization

extension Kernels {
    /// `[N, C, S]` view of a `[N, C, ...]` shape.
    private static func channelView(_ shape: Shape) -> (n: Int, c: Int, s: Int) {
        (shape[0], shape[1], shape.dimensions.dropFirst(2).reduce(1, *))
    }

    static func batchNorm(_ x: Tensor, gamma: Tensor, beta: Tensor, epsilon: Float)
        -> (y: Tensor, mean: [Float], variance: [Float], invstd: [Float])
    {
        let (n, c, s) = channelView(x.shape)
        let out = TensorStorage(dtype: .float32, count: x.scalarCount)
        var mean = [Float](repeating: 0, count: c), variance = mean, invstd = mean
        switch x.device {
        case .cpu:
            mean.withUnsafeMutableBufferPointer { m in
                variance.withUnsafeMutableBufferPointer { v in
                    invstd.withUnsafeMutableBufferPointer { inv in
                        BatchNormalization.forward(
                            x.storage.floats, batch: n, channels: c, spatial: s, gamma: gamma.storage.floats,
                            beta: beta.storage.floats, epsilon: epsilon, out.floats, mean: m.baseAddress!,
                            variance: v.baseAddress!, invstd: inv.baseAddress!)
                    }
                }
            }
        }
        return (Tensor(shape: x.shape, storage: out), mean, variance, invstd)
    }

    static func batchNormBackward(
        _ dy: Tensor, _ x: Tensor, gamma: Tensor, mean: [Float], invstd: [Float], forInput: Bool, forGamma: Bool, forBeta: Bool
    ) -> (Tensor?, Tensor?, Tensor?) {
        let (n, c, s) = channelView(x.shape)
        return normalizationGradients(x, parameters: gamma.shape, mean: mean, invstd: invstd,
                                      forInput: forInput, forGamma: forGamma, forBeta: forBeta) { m, inv, dx, dgamma, dbeta in
            BatchNormalization.backward(
                dy.storage.floats, x.storage.floats, batch: n, channels: c, spatial: s, mean: m, invstd: inv,
                gamma: gamma.storage.floats, dx: dx, dgamma: dgamma, dbeta: dbeta)
        }
    }

    /// The storage for whichever of dx, dγ and dβ are asked for, filled by `kernel` from the
    /// forward pass's statistics; shared by batch and layer norm.
    private static func normalizationGradients(
        _ x: Tensor, parameters: Shape, mean: [Float], invstd: [Float], forInput: Bool, forGamma: Bool, forBeta: Bool,
        _ kernel: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>?, UnsafeMutablePointer<Float>?,
                   UnsafeMutablePointer<Float>?) -> Void
    ) -> (Tensor?, Tensor?, Tensor?) {
        let dx = forInput ? TensorStorage(dtype: .float32, count: x.scalarCount) : nil
        let dgamma = forGamma ? TensorStorage(dtype: .float32, count: parameters.elementCount) : nil
        let dbeta = forBeta ? TensorStorage(dtype: .float32, count: parameters.elementCount) : nil
        switch x.device {
        case .cpu:
            mean.withUnsafeBufferPointer { m in
                invstd.withUnsafeBufferPointer { inv in kernel(m.baseAddress!, inv.baseAddress!, dx?.floats, dgamma?.floats, dbeta?.floats) }
            }
        }
        return (dx.map { Tensor(shape: x.shape, storage: $0) }, dgamma.map { Tensor(shape: parameters, storage: $0) },
                dbeta.map { Tensor(shape: parameters, storage: $0) })
    }
}

// MARK: Layer normalization

extension Kernels {
    static func layerNorm(_ x: Tensor, gamma: Tensor, beta: Tensor, epsilon: Float)
        -> (y: Tensor, mean: [Float], invstd: [Float])
    {
        let width = gamma.scalarCount, rows = x.scalarCount / max(width, 1)
        let out = TensorStorage(dtype: .float32, count: x.scalarCount)
        var mean = [Float](repeating: 0, count: rows), invstd = mean
        switch x.device {
        case .cpu:
            mean.withUnsafeMutableBufferPointer { m in
                invstd.withUnsafeMutableBufferPointer { inv in
                    LayerNormalization.forward(
                        x.storage.floats, rows: rows, width: width, gamma: gamma.storage.floats, beta: beta.storage.floats,
                        epsilon: epsilon, out.floats, mean: m.baseAddress!, invstd: inv.baseAddress!)
                }
            }
        }
        return (Tensor(shape: x.shape, storage: out), mean, invstd)
    }

    static func layerNormBackward(
        _ dy: Tensor, _ x: Tensor, gamma: Tensor, mean: [Float], invstd: [Float], forInput: Bool, forGamma: Bool, forBeta: Bool
    ) -> (Tensor?, Tensor?, Tensor?) {
        let width = gamma.scalarCount, rows = x.scalarCount / max(width, 1)
        return normalizationGradients(x, parameters: gamma.shape, mean: mean, invstd: invstd,
                                      forInput: forInput, forGamma: forGamma, forBeta: forBeta) { m, inv, dx, dgamma, dbeta in
            LayerNormalization.backward(
                dy.storage.floats, x.storage.floats, rows: rows, width: width, mean: m, invstd: inv,
                gamma: gamma.storage.floats, dx: dx, dgamma: dgamma, dbeta: dbeta)
        }
    }
}

// MARK: LSTM recurrence

extension Kernels {
    /// The output `[N, T, 2H]` and what the backward pass needs: the activated gates and
    /// `tanh(c)`, `[T, N, 5H]` (see `LSTMKernels`).
    static func lstm(_ xp: Tensor, weightHH: Tensor, h0: Tensor, c0: Tensor) -> (output: Tensor, saved: Tensor) {
        let (n, steps, h) = (xp.shape[0], xp.shape[1], weightHH.shape[1])
        let width = LSTMKernels.savedWidth(hidden: h)
        let output = TensorStorage(dtype: .float32, count: n * steps * 2 * h)
        let saved = TensorStorage(dtype: .float32, count: steps * n * width)
        switch xp.device {
        case .cpu:
            LSTMKernels.forward(
                xp: xp.storage.floats, wHH: weightHH.storage.floats, h0: h0.storage.floats, c0: c0.storage.floats,
                batch: n, steps: steps, hidden: h, output: output.floats, saved: saved.floats)
        }
        return (Tensor(shape: [n, steps, 2 * h], storage: output), Tensor(shape: [steps, n, width], storage: saved))
    }

    /// The gradients of `lstm` for `xp`, `weightHH`, `h0` and `c0` from `dy` `[N, T, 2H]`.
    static func lstmBackward(_ dy: Tensor, output: Tensor, saved: Tensor, weightHH: Tensor, h0: Tensor, c0: Tensor)
        -> (xp: Tensor, weightHH: Tensor, h0: Tensor, c0: Tensor)
    {
        let (n, steps, h) = (dy.shape[0], dy.shape[1], weightHH.shape[1])
        let dxp = TensorStorage(dtype: .float32, count: n * steps * 4 * h)
        let dw = TensorStorage(dtype: .float32, count: 4 * h * h)
        let dh0 = TensorStorage(dtype: .float32, count: n * h), dc0 = TensorStorage(dtype: .float32, count: n * h)
        switch dy.device {
        case .cpu:
            LSTMKernels.backward(
                dy: dy.storage.floats, wHH: weightHH.storage.floats, h0: h0.storage.floats, c0: c0.storage.floats,
                output: output.storage.floats, saved: saved.storage.floats, batch: n, steps: steps, hidden: h,
                dxp: dxp.floats, dwHH: dw.floats, dh0: dh0.floats, dc0: dc0.floats)
        }
        return (Tensor(shape: [n, steps, 4 * h], storage: dxp), Tensor(shape: [4 * h, h], storage: dw),
                Tensor(shape: [n, h], storage: dh0), Tensor(shape: [n, h], storage: dc0))
    }
}

// MARK: Softmax

extension Kernels {
    static func softmax(_ x: Tensor, axis: Int) -> Tensor {
        let (outer, length, inner) = split(x.shape, at: axis)
        let out = TensorStorage(dtype: .float32, count: x.scalarCount)
        switch x.device {
        case .cpu: Softmax.forward(x.storage.floats, out.floats, outer: outer, length: length, inner: inner)
        }
        return Tensor(shape: x.shape, storage: out)
    }

    static func softmaxBackward(_ g: Tensor, output y: Tensor, axis: Int) -> Tensor {
        let (outer, length, inner) = split(y.shape, at: axis)
        let out = TensorStorage(dtype: .float32, count: y.scalarCount)
        switch y.device {
        case .cpu: Softmax.backward(g.storage.floats, y.storage.floats, out.floats, outer: outer, length: length, inner: inner)
        }
        return Tensor(shape: y.shape, storage: out)
    }
}
