import CPUBackend

extension Kernels {
    /// `[N, C, S]` view of a `[N, C, ...]` shape.
    private static func channelView(_ shape: Shape) -> (n: Int, c: Int, s: Int) {
        (shape[0], shape[1], shape.dimensions.dropFirst(2).reduce(1, *))
    }

    /// The normalized output and the batch's per-channel statistics, each `[C]`.
    static func batchNorm(_ x: Tensor, gamma: Tensor, beta: Tensor, epsilon: Float)
        -> (y: Tensor, mean: Tensor, variance: Tensor, invstd: Tensor)
    {
        let (n, c, s) = channelView(x.shape)
        let out = x.device.allocate(.float32, count: x.scalarCount)
        let mean = x.device.zeros(.float32, count: c), variance = x.device.zeros(.float32, count: c)
        let invstd = x.device.zeros(.float32, count: c)
        switch x.device {
        case .cpu:
            BatchNormalization.forward(
                x.storage.floats, batch: n, channels: c, spatial: s, gamma: gamma.storage.floats,
                beta: beta.storage.floats, epsilon: epsilon, out.floats, mean: mean.floats,
                variance: variance.floats, invstd: invstd.floats)
        }
        return (Tensor(shape: x.shape, storage: out), Tensor(shape: [c], storage: mean), Tensor(shape: [c], storage: variance),
                Tensor(shape: [c], storage: invstd))
    }

    static func batchNormBackward(
        _ dy: Tensor, _ x: Tensor, gamma: Tensor, mean: Tensor, invstd: Tensor, forInput: Bool, forGamma: Bool, forBeta: Bool
    ) -> (Tensor?, Tensor?, Tensor?) {
        let (n, c, s) = channelView(x.shape)
        return normalizationGradients(x, parameters: gamma.shape, forInput: forInput, forGamma: forGamma, forBeta: forBeta) {
            dx, dgamma, dbeta in
            BatchNormalization.backward(
                dy.storage.floats, x.storage.floats, batch: n, channels: c, spatial: s, mean: mean.storage.floats,
                invstd: invstd.storage.floats, gamma: gamma.storage.floats, dx: dx, dgamma: dgamma, dbeta: dbeta)
        }
    }

    /// The storage for whichever of dx, dγ and dβ are asked for, filled by `kernel`; shared by
    /// batch and layer norm.
    private static func normalizationGradients(
        _ x: Tensor, parameters: Shape, forInput: Bool, forGamma: Bool, forBeta: Bool,
        _ kernel: (UnsafeMutablePointer<Float>?, UnsafeMutablePointer<Float>?, UnsafeMutablePointer<Float>?) -> Void
    ) -> (Tensor?, Tensor?, Tensor?) {
        let dx = forInput ? x.device.allocate(.float32, count: x.scalarCount) : nil
        let dgamma = forGamma ? x.device.allocate(.float32, count: parameters.elementCount) : nil
        let dbeta = forBeta ? x.device.allocate(.float32, count: parameters.elementCount) : nil
        switch x.device {
        case .cpu: kernel(dx?.floats, dgamma?.floats, dbeta?.floats)
        }
        return (dx.map { Tensor(shape: x.shape, storage: $0) }, dgamma.map { Tensor(shape: parameters, storage: $0) },
                dbeta.map { Tensor(shape: parameters, storage: $0) })
    }

    /// The normalized output and each row's mean and 1/σ, `[rows]`.
    static func layerNorm(_ x: Tensor, gamma: Tensor, beta: Tensor, epsilon: Float) -> (y: Tensor, mean: Tensor, invstd: Tensor) {
        let width = gamma.scalarCount, rows = x.scalarCount / max(width, 1)
        let out = x.device.allocate(.float32, count: x.scalarCount)
        let mean = x.device.zeros(.float32, count: rows), invstd = x.device.zeros(.float32, count: rows)
        switch x.device {
        case .cpu:
            LayerNormalization.forward(
                x.storage.floats, rows: rows, width: width, gamma: gamma.storage.floats, beta: beta.storage.floats,
                epsilon: epsilon, out.floats, mean: mean.floats, invstd: invstd.floats)
        }
        return (Tensor(shape: x.shape, storage: out), Tensor(shape: [rows], storage: mean), Tensor(shape: [rows], storage: invstd))
    }

    static func layerNormBackward(
        _ dy: Tensor, _ x: Tensor, gamma: Tensor, mean: Tensor, invstd: Tensor, forInput: Bool, forGamma: Bool, forBeta: Bool
    ) -> (Tensor?, Tensor?, Tensor?) {
        let width = gamma.scalarCount, rows = x.scalarCount / max(width, 1)
        return normalizationGradients(x, parameters: gamma.shape, forInput: forInput, forGamma: forGamma, forBeta: forBeta) {
            dx, dgamma, dbeta in
            LayerNormalization.backward(
                dy.storage.floats, x.storage.floats, rows: rows, width: width, mean: mean.storage.floats,
                invstd: invstd.storage.floats, gamma: gamma.storage.floats, dx: dx, dgamma: dgamma, dbeta: dbeta)
        }
    }
}
