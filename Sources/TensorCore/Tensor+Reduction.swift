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
    /// unbiased estimate; pass 0 for NumPy's and Keras's), computed in double: exact to float
    /// precision for data of order 1e20 or 1e-30 and for a large mean against a small spread
    /// (where a float32 two-pass or one-pass formula loses it). Shape: as for `sum`.
    public func variance(along axes: [Int], correction: Int = 1, keepingDims: Bool = false) -> Tensor {
        let axes = shape.axes(axes, op: "variance")
        return Tensor.custom(Moments(axes: axes, correction: correction, keepingDims: keepingDims, root: false), [self])
    }
    public func variance(along axes: Int..., correction: Int = 1, keepingDims: Bool = false) -> Tensor {
        variance(along: axes, correction: correction, keepingDims: keepingDims)
    }

    /// The square root of `variance(along:correction:keepingDims:)`, computed in double (finite
    /// for data of order 1e20, non-zero for 1e-30); its gradient is 0 where it is 0, as in PyTorch.
    public func standardDeviation(along axes: [Int], correction: Int = 1, keepingDims: Bool = false) -> Tensor {
        let axes = shape.axes(axes, op: "standardDeviation")
        return Tensor.custom(Moments(axes: axes, correction: correction, keepingDims: keepingDims, root: true), [self])
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

/// The variance (or standard deviation) over `axes` with `correction` (n - correction in the
/// denominator; Bessel's 1 by default), in double: the mean first, then the centred squares, so
/// that neither the squares of large data overflow nor a large mean swamps a small spread.
///
/// Backward: dvar/dx = 2 (x - mean) / (n - c); dstd/dx = (x - mean) / ((n - c) std), 0 where the
/// standard deviation is 0 (PyTorch's rule for a constant slice).
struct Moments: CustomOp {
    let axes: [Int], correction: Int, keepingDims: Bool, root: Bool
    var name: String { root ? "standardDeviation" : "variance" }

    /// `x` with the reduced axes moved last, contiguous, as `[rows, n]`, and the kept shape.
    private func rows(_ x: Tensor) -> (values: [Float], rows: Int, n: Int, order: [Int]) {
        let kept = (0..<x.rank).filter { !axes.contains($0) }
        let order = kept + axes
        let n = axes.reduce(1) { $0 * x.shape[$1] }
        let moved = x.permuted(order).reshaped(to: [-1])
        return (moved.scalars, n == 0 ? 0 : moved.scalarCount / Swift.max(n, 1), n, order)
    }

    private func outputShape(_ x: Tensor) -> Shape {
        keepingDims ? Shape((0..<x.rank).map { axes.contains($0) ? 1 : x.shape[$0] }) : Shape(droppingAxes: axes, of: x.shape)
    }

    /// Each row's mean and its sum of centred squares, in double.
    private func statistics(_ values: [Float], rows: Int, n: Int) -> [(mean: Double, squares: Double)] {
        (0..<rows).map { r in
            var total: Double = 0
            for j in 0..<n { total += Double(values[r * n + j]) }
            let mean = total / Double(Swift.max(n, 1))
            var squares: Double = 0
            for j in 0..<n { let d = Double(values[r * n + j]) - mean; squares += d * d }
            return (mean, squares)
        }
    }

    func forward(_ inputs: [Tensor]) -> Tensor {
        let x = inputs[0]
        let (values, rows, n, _) = rows(x)
        let denominator = Double(Swift.max(n - correction, 0))
        let result = statistics(values, rows: rows, n: n).map { s -> Float in
            let v = s.squares / denominator
            return Float(root ? v.squareRoot() : v)
        }
        return Tensor(result, shape: outputShape(x))
    }

    func gradients(_ g: Tensor, inputs: [Tensor], output: Tensor) -> [Tensor?] {
        let x = inputs[0]
        let (values, rows, n, order) = rows(x)
        let denominator = Double(Swift.max(n - correction, 0))
        let upstream = g.expanded(to: outputShape(x)).scalars, results = output.scalars
        let stats = statistics(values, rows: rows, n: n)
        var dx = [Float](repeating: 0, count: values.count)
        for r in 0..<rows {
            // d/dx of the slice's value, times the upstream gradient.
            let scale: Double
            if root {
                scale = results[r] == 0 ? 0 : Double(upstream[r]) / (denominator * Double(results[r]))
            } else {
                scale = 2 * Double(upstream[r]) / denominator
            }
            for j in 0..<n { dx[r * n + j] = Float(scale * (Double(values[r * n + j]) - stats[r].mean)) }
        }
        // Back from [kept..., reduced...] to the input's axis order.
        let movedShape = Shape(order.map { x.shape[$0] })
        var inverse = [Int](repeating: 0, count: order.count)
        for (i, a) in order.enumerated() { inverse[a] = i }
        return [Tensor(dx, shape: movedShape).permuted(inverse)]
    }
}
