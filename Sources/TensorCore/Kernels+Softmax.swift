import CPUBackend

extension Kernels {
    static func softmax(_ x: Tensor, axis: Int) -> Tensor {
        let (outer, length, inner) = split(x.shape, at: axis)
        let out = x.device.allocate(.float32, count: x.scalarCount)
        switch x.device {
        case .cpu: Softmax.forward(x.storage.floats, out.floats, outer: outer, length: length, inner: inner)
        }
        return Tensor(shape: x.shape, storage: out)
    }

    static func softmaxBackward(_ g: Tensor, output y: Tensor, axis: Int) -> Tensor {
        let (outer, length, inner) = split(y.shape, at: axis)
        let out = y.device.allocate(.float32, count: y.scalarCount)
        switch y.device {
        case .cpu: Softmax.backward(g.storage.floats, y.storage.floats, out.floats, outer: outer, length: length, inner: inner)
        }
        return Tensor(shape: y.shape, storage: out)
    }
}
