extension Tensor {
    /// A tensor of zeros. Shape: `shape`.
    public static func zeros(_ shape: Shape, dtype: DType = .float32) -> Tensor {
        Tensor(shape: shape, storage: .zeros(dtype: dtype, count: shape.elementCount))
    }

    /// A tensor of ones. Shape: `shape`.
    public static func ones(_ shape: Shape) -> Tensor { full(shape, value: 1) }

    /// A float32 tensor with every element `value`. Shape: `shape`.
    public static func full(_ shape: Shape, value: Float) -> Tensor {
        let s = TensorStorage(dtype: .float32, count: shape.elementCount)
        s.floats.initialize(repeating: value, count: shape.elementCount)
        return Tensor(shape: shape, storage: s)
    }

    /// Zeros with the shape and dtype of `other`.
    public static func zeros(like other: Tensor) -> Tensor { zeros(other.shape, dtype: other.dtype) }

    /// Ones with the shape of `other`.
    public static func ones(like other: Tensor) -> Tensor { ones(other.shape) }

    /// `start, start + step, ...` up to but excluding `end`.
    ///
    /// Shape: `[ceil((end - start) / step)]`.
    public static func arange(_ start: Float = 0, to end: Float, step: Float = 1) -> Tensor {
        require(step != 0, "arange: step must not be zero")
        let count = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        return Tensor((0..<count).map { start + Float($0) * step })
    }

    /// `count` evenly spaced values from `start` to `end`, both included. Shape: `[count]`.
    public static func linspace(from start: Float, to end: Float, count: Int) -> Tensor {
        require(count >= 0, "linspace: count must not be negative")
        if count == 1 { return Tensor([start]) }
        let step = (end - start) / Float(count - 1)
        return Tensor((0..<count).map { $0 == count - 1 ? end : start + Float($0) * step })
    }

    /// The identity matrix. Shape: `[n, n]`.
    public static func eye(_ n: Int) -> Tensor {
        var values = [Float](repeating: 0, count: n * n)
        for i in 0..<n { values[i * n + i] = 1 }
        return Tensor(values, shape: [n, n])
    }
}
