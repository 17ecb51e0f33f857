import CPUBackend

extension Kernels {
    /// Reads `source` through `strides` (in elements, from `offset`) into a new contiguous tensor.
    static func stridedCopy(_ source: Tensor, shape: Shape, offset: Int = 0, strides: [Int]) -> Tensor {
        let out = source.device.allocate(source.dtype, count: shape.elementCount)
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
    static func stridedWrite(_ source: Tensor, into destination: TensorStorage, offset: Int, strides: [Int]) {
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
        let out = g.device.zeros(.float32, count: shape.elementCount)
        let base = shape.contiguousStrides
        let offset = zip(starts, base).reduce(0) { $0 + $1.0 * $1.1 }
        stridedWrite(g, into: out, offset: offset, strides: zip(strides, base).map(*))
        return Tensor(shape: shape, storage: out)
    }
}
