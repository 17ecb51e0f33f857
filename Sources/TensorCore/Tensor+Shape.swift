extension Tensor {
    /// The same elements with a new shape; one dimension may be -1 and is then inferred.
    /// Shares storage with `self`.
    public func reshaped(to newShape: Shape) -> Tensor {
        var dims = newShape.dimensions
        if let inferred = dims.firstIndex(of: -1) {
            let known = dims.enumerated().filter { $0.offset != inferred }.reduce(1) { $0 * $1.element }
            require(known > 0 && scalarCount % known == 0,
                         "reshaped: cannot reshape \(shape) (\(scalarCount) elements) to \(newShape)")
            dims[inferred] = scalarCount / known
        }
        let target = Shape(dims)
        require(target.elementCount == scalarCount && dims.allSatisfy { $0 >= 0 },
                     "reshaped: cannot reshape \(shape) (\(scalarCount) elements) to \(newShape)")
        if target == shape { return self }
        var y = Tensor(shape: target, storage: storage)
        y.record(.reshape(self), if: node != nil)
        return y
    }

    /// Dimensions `start...end` merged into one. `flattened(from: 1)` turns `[N, C, H, W]`
    /// into `[N, C*H*W]`.
    public func flattened(from start: Int = 0, through end: Int = -1) -> Tensor {
        if rank == 0 { return reshaped(to: [1]) }
        let s = shape.axis(start, op: "flattened"), e = shape.axis(end, op: "flattened")
        require(s <= e, "flattened: start axis \(start) is after end axis \(end) for shape \(shape)")
        let merged = shape.dimensions[s...e].reduce(1, *)
        return reshaped(to: Shape(Array(shape.dimensions[..<s]) + [merged] + Array(shape.dimensions[(e + 1)...])))
    }

    /// `axes` of size 1 removed; all size-1 axes when none are given.
    public func squeezed(at axes: Int...) -> Tensor {
        let drop = axes.isEmpty
            ? (0..<rank).filter { shape[$0] == 1 }
            : shape.axes(axes, op: "squeezed")
        for a in drop {
            require(shape[a] == 1, "squeezed: axis \(a) of shape \(shape) has size \(shape[a]), not 1")
        }
        return reshaped(to: Shape(droppingAxes: drop, of: shape))
    }

    /// A new axis of size 1 inserted at `axis` (which may be `rank`, or negative).
    public func unsqueezed(at axis: Int) -> Tensor {
        let a = axis < 0 ? axis + rank + 1 : axis
        require(a >= 0 && a <= rank, "unsqueezed: axis \(axis) is out of range for shape \(shape)")
        var dims = shape.dimensions
        dims.insert(1, at: a)
        return reshaped(to: Shape(dims))
    }

    /// Size-1 dimensions repeated (and new leading ones added) to reach `target`.
    public func expanded(to target: Shape) -> Tensor {
        if target == shape { return self }
        let broadcast = Shape.broadcast(shape, target, op: "expanded")
        require(broadcast == target, "expanded: cannot expand shape \(shape) to \(target)")
        var y = Kernels.stridedCopy(self, shape: target, strides: shape.broadcastStrides(to: target))
        y.record(.expand(self), if: node != nil)
        return y
    }

    /// The axes reordered: result axis `i` is `self`'s axis `axes[i]`.
    public func permuted(_ axes: [Int]) -> Tensor {
        let perm = axes.map { shape.axis($0, op: "permuted") }
        require(perm.count == rank && Set(perm).count == rank,
                     "permuted: \(axes) is not a permutation of the \(rank) axes of shape \(shape)")
        if perm == Array(0..<rank) { return self }
        let strides = shape.contiguousStrides
        var y = Kernels.stridedCopy(self, shape: Shape(perm.map { shape[$0] }), strides: perm.map { strides[$0] })
        y.record(.permute(self, perm), if: node != nil)
        return y
    }
    public func permuted(_ axes: Int...) -> Tensor { permuted(axes) }

    /// The last two axes swapped (a matrix transpose); rank-1 and rank-0 tensors are returned as is.
    public func transposed() -> Tensor {
        rank < 2 ? self : transposed(rank - 2, rank - 1)
    }

    /// Axes `a` and `b` swapped.
    public func transposed(_ a: Int, _ b: Int) -> Tensor {
        var perm = Array(0..<rank)
        perm.swapAt(shape.axis(a, op: "transposed"), shape.axis(b, op: "transposed"))
        return permuted(perm)
    }

    /// Every `stride`-th element from `start` up to `end` (exclusive) along `axis`. Negative
    /// bounds count from the end and bounds are clamped, as in Python slicing.
    public func sliced(along axis: Int, from start: Int = 0, to end: Int? = nil, stride: Int = 1) -> Tensor {
        let a = shape.axis(axis, op: "sliced")
        require(stride > 0, "sliced: stride must be positive, got \(stride)")
        let n = shape[a]
        func resolve(_ i: Int) -> Int { Swift.min(Swift.max(i < 0 ? i + n : i, 0), n) }
        let lo = resolve(start), hi = Swift.max(resolve(end ?? n), lo)
        var starts = [Int](repeating: 0, count: rank), strides = [Int](repeating: 1, count: rank)
        starts[a] = lo
        strides[a] = stride
        var outShape = shape
        outShape[a] = (hi - lo + stride - 1) / stride
        if outShape == shape { return self }
        let base = shape.contiguousStrides
        var y = Kernels.stridedCopy(
            self, shape: outShape, offset: lo * base[a], strides: zip(strides, base).map(*))
        y.record(.slice(self, starts: starts, strides: strides), if: node != nil)
        return y
    }

    /// The `index`-th entry along the first axis, which is removed. Negative counts from the end.
    public subscript(index: Int) -> Tensor {
        require(rank > 0, "subscript: cannot index a scalar")
        let i = index < 0 ? index + shape[0] : index
        require(i >= 0 && i < shape[0], "subscript: index \(index) is out of range for shape \(shape)")
        return sliced(along: 0, from: i, to: i + 1).squeezed(at: 0)
    }

    /// A range of entries along the first axis.
    public subscript(range: Range<Int>) -> Tensor {
        sliced(along: 0, from: range.lowerBound, to: range.upperBound)
    }

    /// Constant padding: `padding[i]` elements before and after along axis `i` (one pair per axis).
    public func padded(with padding: [(before: Int, after: Int)], value: Float = 0) -> Tensor {
        requireFloat("padded")
        require(padding.count == rank, "padded: \(padding.count) padding pairs for shape \(shape) of rank \(rank)")
        require(padding.allSatisfy { $0.before >= 0 && $0.after >= 0 }, "padded: padding must not be negative")
        let outShape = Shape(zip(shape, padding).map { $0 + $1.before + $1.after })
        let out = device.allocate(.float32, count: outShape.elementCount)
        out.floats.initialize(repeating: value, count: outShape.elementCount)
        let strides = outShape.contiguousStrides
        let offset = zip(padding, strides).reduce(0) { $0 + $1.0.before * $1.1 }
        Kernels.stridedWrite(self, into: out, offset: offset, strides: strides)
        var y = Tensor(shape: outShape, storage: out)
        y.record(.pad(self, before: padding.map(\.before)), if: node != nil)
        return y
    }

    /// The tensors joined along `axis`; all other dimensions must agree.
    public static func concat(_ tensors: [Tensor], along axis: Int = 0) -> Tensor {
        require(!tensors.isEmpty, "concat: no tensors given")
        let first = tensors[0]
        let a = first.shape.axis(axis, op: "concat")
        for t in tensors {
            require(t.dtype == first.dtype, "concat: dtypes \(first.dtype) and \(t.dtype) differ")
            require(
                t.rank == first.rank && (0..<t.rank).allSatisfy { $0 == a || t.shape[$0] == first.shape[$0] },
                "concat: shapes \(first.shape) and \(t.shape) differ outside axis \(axis)")
        }
        if tensors.count == 1 { return first }
        var outShape = first.shape
        outShape[a] = tensors.reduce(0) { $0 + $1.shape[a] }
        let out = first.device.allocate(first.dtype, count: outShape.elementCount)
        let strides = outShape.contiguousStrides
        var offset = 0
        for t in tensors {
            Kernels.stridedWrite(t, into: out, offset: offset * strides[a], strides: strides)
            offset += t.shape[a]
        }
        var y = Tensor(shape: outShape, storage: out)
        y.record(.concat(tensors, axis: a), if: tensors.contains { $0.node != nil })
        return y
    }

    /// The tensors, all of one shape, joined along a new axis.
    public static func stack(_ tensors: [Tensor], along axis: Int = 0) -> Tensor {
        require(!tensors.isEmpty, "stack: no tensors given")
        for t in tensors {
            require(t.shape == tensors[0].shape, "stack: shapes \(tensors[0].shape) and \(t.shape) differ")
        }
        return concat(tensors.map { $0.unsqueezed(at: axis) }, along: axis)
    }

    /// Consecutive pieces along `axis` with the given sizes, which must add up to its length.
    public func split(sizes: [Int], along axis: Int = 0) -> [Tensor] {
        let a = shape.axis(axis, op: "split")
        require(sizes.reduce(0, +) == shape[a], "split: sizes \(sizes) do not add up to \(shape[a]) for shape \(shape)")
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return sliced(along: a, from: start, to: start + size)
        }
    }

    /// `count` pieces along `axis` of equal size (the last may be smaller), like `torch.chunk`.
    public func chunked(into count: Int, along axis: Int = 0) -> [Tensor] {
        let a = shape.axis(axis, op: "chunked")
        require(count > 0, "chunked: count must be positive")
        let size = (shape[a] + count - 1) / count
        var sizes: [Int] = []
        var left = shape[a]
        while left > 0 {
            sizes.append(Swift.min(size, left))
            left -= size
        }
        return split(sizes: sizes, along: a)
    }
}
