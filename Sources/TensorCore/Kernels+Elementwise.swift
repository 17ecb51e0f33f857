import CPUBackend

extension Kernels {
    static func unary(_ f: UnaryFunction, _ x: Tensor) -> Tensor {
        let out = x.device.allocate(.float32, count: x.scalarCount)
        switch x.device {
        case .cpu: Elementwise.unary(f, x.storage.floats, out.floats, count: x.scalarCount)
        }
        return Tensor(shape: x.shape, storage: out)
    }

    static func binary(_ f: BinaryFunction, _ a: Tensor, _ b: Tensor, op: StaticString) -> Tensor {
        let shape = a.shape == b.shape ? a.shape : Shape.broadcast(a.shape, b.shape, op: "\(op)")
        let count = shape.elementCount
        let out = a.device.allocate(.float32, count: count)
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

    /// `condition != 0 ? a : b`, the three broadcast together.
    static func conditional(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        let shape = Shape.broadcast(Shape.broadcast(condition.shape, a.shape, op: "select"), b.shape, op: "select")
        let out = a.device.allocate(.float32, count: shape.elementCount)
        switch a.device {
        case .cpu:
            Elementwise.conditional(
                condition.storage.floats, strides: condition.shape.broadcastStrides(to: shape),
                a.storage.floats, strides: a.shape.broadcastStrides(to: shape),
                b.storage.floats, strides: b.shape.broadcastStrides(to: shape),
                out.floats, shape: shape.dimensions)
        }
        return Tensor(shape: shape, storage: out)
    }
}
