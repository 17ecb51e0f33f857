import CPUBackend

extension Kernels {
    static func gather(_ x: Tensor, axis: Int, index: Tensor) -> Tensor {
        let (outer, length, inner) = split(x.shape, at: axis)
        let idx = indices(index, bound: length, op: "gathering")
        let out = x.device.allocate(.float32, count: index.scalarCount)
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

    static func scatterAdd(_ base: Tensor, axis: Int, index: Tensor, source: Tensor) -> Tensor {
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

    static func indexSelect(_ x: Tensor, axis: Int, index: Tensor) -> Tensor {
        let (outer, length, inner) = split(x.shape, at: axis)
        let idx = indices(index, bound: length, op: "selecting")
        var shape = x.shape
        shape[axis] = idx.count
        let out = x.device.allocate(x.dtype, count: shape.elementCount)
        switch x.device {
        case .cpu:
            idx.withUnsafeBufferPointer {
                Indexing.indexSelect(
                    x.storage.raw, elementSize: x.dtype.byteCount, outer: outer, length: length,
                    inner: inner, index: $0.baseAddress!, count: idx.count, out.raw)
            }
        }
        return Tensor(shape: shape, storage: out)
    }

    static func indexAdd(_ base: Tensor, axis: Int, index: Tensor, source: Tensor) -> Tensor {
        let (outer, length, inner) = split(base.shape, at: axis)
        let idx = indices(index, bound: length, op: "indexAdding")
        let out = base.storage.copy()
        switch base.device {
        case .cpu:
            idx.withUnsafeBufferPointer {
                Indexing.indexAdd(
                    source.storage.floats, index: $0.baseAddress!, outer: outer, count: idx.count,
                    inner: inner, into: out.floats, length: length)
            }
        }
        return Tensor(shape: base.shape, storage: out)
    }
}
