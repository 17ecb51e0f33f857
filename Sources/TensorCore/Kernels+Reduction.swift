import CPUBackend

extension Kernels {
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
            let out = x.device.allocate(.float32, count: outer * inner)
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
        let out = x.device.allocate(.int64, count: outer * inner)
        switch x.device {
        case .cpu:
            Reduce.argExtremum(
                largest: largest, x.storage.floats, outer: outer, length: length, inner: inner,
                out.raw.assumingMemoryBound(to: Int64.self))
        }
        return Tensor(shape: Shape(newShape), storage: out)
    }
}
