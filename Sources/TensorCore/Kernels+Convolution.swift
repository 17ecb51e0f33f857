import CPUBackend

extension Kernels {
    static func conv2d(_ x: Tensor, _ w: Tensor, _ g: ConvGeometry, groups: Int) -> Tensor {
        let oc = w.shape[0]
        let shape: Shape = [g.batch, oc, g.outputHeight, g.outputWidth]
        let out = x.device.allocate(.float32, count: shape.elementCount)
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
        let dx = forInput ? dy.device.zeros(.float32, count: g.batch * g.channels * g.height * g.width) : nil
        let dw = forWeight ? dy.device.allocate(.float32, count: w.scalarCount) : nil
        require(!forWeight || x != nil, "conv2dGradients: the weight's gradient needs the input")
        switch dy.device {
        case .cpu:
            Convolution.backward(
                dy.storage.floats, input: (x ?? dy).storage.floats, weight: w.storage.floats, g, outChannels: w.shape[0],
                groups: groups, inputGradient: dx?.floats, weightGradient: dw?.floats)
        }
        return (dx.map { Tensor(shape: [g.batch, g.channels, g.height, g.width], storage: $0) },
                dw.map { Tensor(shape: w.shape, storage: $0) })
    }

    /// Window maxima, and each winner's index within its image plane (int64, the output's shape).
    static func maxPool2d(_ x: Tensor, _ g: ConvGeometry) -> (output: Tensor, argmax: Tensor) {
        let shape: Shape = [g.batch, g.channels, g.outputHeight, g.outputWidth]
        let out = x.device.allocate(.float32, count: shape.elementCount)
        let argmax = x.device.allocate(.int64, count: shape.elementCount)
        switch x.device {
        case .cpu:
            let winners = argmax.raw.initializeMemory(as: Int.self, repeating: -1, count: shape.elementCount)
            Pooling.maxPool(x.storage.floats, g, out.floats, argmax: winners)
        }
        return (Tensor(shape: shape, storage: out), Tensor(shape: shape, storage: argmax))
    }

    static func maxPool2dBackward(_ dy: Tensor, argmax: Tensor, _ g: ConvGeometry, inputShape: Shape) -> Tensor {
        let out = dy.device.zeros(.float32, count: inputShape.elementCount)
        switch dy.device {
        case .cpu:
            Pooling.maxPoolBackward(dy.storage.floats, argmax: argmax.storage.raw.assumingMemoryBound(to: Int.self), g, into: out.floats)
        }
        return Tensor(shape: inputShape, storage: out)
    }

    static func avgPool2d(_ x: Tensor, _ g: ConvGeometry, countPadding: Bool) -> Tensor {
        let shape: Shape = [g.batch, g.channels, g.outputHeight, g.outputWidth]
        let out = x.device.allocate(.float32, count: shape.elementCount)
        switch x.device {
        case .cpu: Pooling.averagePool(x.storage.floats, g, countPadding: countPadding, out.floats)
        }
        return Tensor(shape: shape, storage: out)
    }

    static func avgPool2dBackward(_ dy: Tensor, _ g: ConvGeometry, countPadding: Bool, inputShape: Shape) -> Tensor {
        let out = dy.device.zeros(.float32, count: inputShape.elementCount)
        switch dy.device {
        case .cpu: Pooling.averagePoolBackward(dy.storage.floats, g, countPadding: countPadding, into: out.floats)
        }
        return Tensor(shape: inputShape, storage: out)
    }
}
