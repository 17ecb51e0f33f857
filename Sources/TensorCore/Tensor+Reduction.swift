import CPUBackend

extension Tensor {
    private func reduced(_ f: ReduceFunction, _ axes: [Int], keepingDims: Bool, _ name: StaticString) -> Tensor {
        requireFloat(name)
        let axes = shape.axes(axes, op: "\(name)")
        if axes.isEmpty { return self }
        var y = Kernels.reduce(f, self, axes: axes)
        y.record(.reduce(f, self, axes: axes), if: node != nil)
        return keepingDims ? y : y.reshaped(to: Shape(droppingAxes: axes, of: shape))
    }

    /// The sum along `axes` (all axes when empty).
    ///
    /// Shape: `axes` removed, or kept with size 1 when `keepingDims`.
    public func sum(along axes: [Int], keepingDims: Bool = false) -> Tensor {
        reduced(.sum, axes, keepingDims: keepingDims, "sum")
    }
    public func sum(along axes: Int..., keepingDims: Bool = false) -> Tensor {
        sum(along: axes, keepingDims: keepingDims)
    }
    /// The sum of all elements. Shape: `[]`.
    public func sum() -> Tensor { sum(along: Array(0..<rank)) }

    /// The mean along `axes`. Shape: as for `sum`.
    public func mean(along axes: [Int], keepingDims: Bool = false) -> Tensor {
        let axes = shape.axes(axes, op: "mean")
        let n = axes.reduce(1) { $0 * shape[$1] }
        return sum(along: axes, keepingDims: keepingDims) / Float(n)
    }
    public func mean(along axes: Int..., keepingDims: Bool = false) -> Tensor {
        mean(along: axes, keepingDims: keepingDims)
    }
    /// The mean of all elements. Shape: `[]`.
    public func mean() -> Tensor { mean(along: Array(0..<rank)) }

    /// The largest element along `axes` (ties share the gradient). Shape: as for `sum`.
    public func max(along axes: [Int], keepingDims: Bool = false) -> Tensor {
        reduced(.max, axes, keepingDims: keepingDims, "max")
    }
    public func max(along axes: Int..., keepingDims: Bool = false) -> Tensor {
        max(along: axes, keepingDims: keepingDims)
    }
    public func max() -> Tensor { max(along: Array(0..<rank)) }

    /// The smallest element along `axes` (ties share the gradient). Shape: as for `sum`.
    public func min(along axes: [Int], keepingDims: Bool = false) -> Tensor {
        reduced(.min, axes, keepingDims: keepingDims, "min")
    }
    public func min(along axes: Int..., keepingDims: Bool = false) -> Tensor {
        min(along: axes, keepingDims: keepingDims)
    }
    public func min() -> Tensor { min(along: Array(0..<rank)) }

    /// The index (int64) of the largest element along `axis`, the first one on ties.
    ///
    /// Shape: `axis` removed, or kept with size 1 when `keepingDims`.
    public func argmax(along axis: Int, keepingDims: Bool = false) -> Tensor {
        argExtremum(largest: true, axis, keepingDims, "argmax")
    }
    /// The index of the largest element of the flattened tensor. Shape: `[]`.
    public func argmax() -> Tensor { reshaped(to: [-1]).argmax(along: 0) }

    /// The index (int64) of the smallest element along `axis`, the first one on ties.
    public func argmin(along axis: Int, keepingDims: Bool = false) -> Tensor {
        argExtremum(largest: false, axis, keepingDims, "argmin")
    }
    public func argmin() -> Tensor { reshaped(to: [-1]).argmin(along: 0) }

    private func argExtremum(largest: Bool, _ axis: Int, _ keepingDims: Bool, _ name: StaticString) -> Tensor {
        let x = converted(to: .float32)
        let a = shape.axis(axis, op: "\(name)")
        require(shape[a] > 0, "\(name): axis \(axis) of shape \(shape) is empty")
        let y = Kernels.argExtremum(largest: largest, x, axis: a)
        return keepingDims ? y : y.reshaped(to: Shape(droppingAxes: [a], of: shape))
    }

    /// The variance along `axes`, dividing by `n - correction` (PyTorch's default, 1, is the
    /// unbiased estimate; pass 0 for NumPy's and Keras's). Shape: as for `sum`.
    public func variance(along axes: [Int], correction: Int = 1, keepingDims: Bool = false) -> Tensor {
        let axes = shape.axes(axes, op: "variance")
        let n = axes.reduce(1) { $0 * shape[$1] }
        let centered = self - mean(along: axes, keepingDims: true)
        return centered.squared().sum(along: axes, keepingDims: keepingDims) / Float(Swift.max(n - correction, 0))
    }
    public func variance(along axes: Int..., correction: Int = 1, keepingDims: Bool = false) -> Tensor {
        variance(along: axes, correction: correction, keepingDims: keepingDims)
    }

    /// The square root of `variance(along:correction:keepingDims:)`.
    public func standardDeviation(along axes: [Int], correction: Int = 1, keepingDims: Bool = false) -> Tensor {
        sqrt(variance(along: axes, correction: correction, keepingDims: keepingDims))
    }
    public func standardDeviation(along axes: Int..., correction: Int = 1, keepingDims: Bool = false) -> Tensor {
        standardDeviation(along: axes, correction: correction, keepingDims: keepingDims)
    }

    /// log Σ eˣ along `axes`, shifted by the maximum so that it never overflows.
    public func logSumExp(along axes: [Int], keepingDims: Bool = false) -> Tensor {
        let axes = shape.axes(axes, op: "logSumExp")
        // The shift is a constant for differentiation: the result does not depend on it.
        var m = max(along: axes, keepingDims: true).detached()
        m = select(abs(m) .== Float.infinity, Tensor(0), m)
        let s = log(exp(self - m).sum(along: axes, keepingDims: true)) + m
        return keepingDims ? s : s.reshaped(to: Shape(droppingAxes: axes, of: shape))
    }
    public func logSumExp(along axes: Int..., keepingDims: Bool = false) -> Tensor {
        logSumExp(along: axes, keepingDims: keepingDims)
    }
}

extension Shape {
    init(droppingAxes axes: [Int], of shape: Shape) {
        self.init(shape.dimensions.enumerated().filter { !axes.contains($0.offset) }.map(\.element))
    }
}
