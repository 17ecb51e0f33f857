extension Tensor {
    /// `result[i][j][k] = self[i][indices[i][j][k]][k]` for `axis == 1` (PyTorch's `gather`).
    ///
    /// Shape: `indices.shape`, of `self`'s rank and no larger than `self` along the other axes
    /// (as in PyTorch, a smaller index reads the leading part of those axes).
    public func gathering(along axis: Int, indices: Tensor) -> Tensor {
        requireFloat("gathering")
        let a = shape.axis(axis, op: "gathering")
        checkIndexShape(indices.shape, axis: a, "gathering")
        if let leading = leadingPart(for: indices.shape, axis: a) { return leading.gathering(along: a, indices: indices) }
        var y = Kernels.gather(self, axis: a, index: indices)
        y.record(.gather(self, axis: a, index: indices), if: node != nil)
        return y
    }

    /// A copy of `self` with `source[i][j][k]` added at `[i][indices[i][j][k]][k]` for
    /// `axis == 1` (PyTorch's `scatter_add`). Repeated indices add up.
    ///
    /// Shape: `self.shape`; `indices` and `source` share a shape of `self`'s rank, no larger than
    /// `self` along the other axes (a smaller one adds into their leading part, as in PyTorch).
    public func scatteringAdd(along axis: Int, indices: Tensor, source: Tensor) -> Tensor {
        requireFloat("scatteringAdd")
        source.requireFloat("scatteringAdd")
        let a = shape.axis(axis, op: "scatteringAdd")
        checkIndexShape(indices.shape, axis: a, "scatteringAdd")
        require(source.shape == indices.shape,
                     "scatteringAdd: source shape \(source.shape) differs from indices shape \(indices.shape)")
        if let leading = leadingPart(for: indices.shape, axis: a) {
            // Scatter into zeros of the leading part, padded back to the full shape and added.
            let added = Tensor.zeros(leading.shape).scatteringAdd(along: a, indices: indices, source: source)
            return self + added.padded(with: (0..<rank).map { (0, shape[$0] - leading.shape[$0]) })
        }
        var y = Kernels.scatterAdd(self, axis: a, index: indices, source: source)
        y.record(.scatterAdd(self, axis: a, index: indices, source: source), if: node != nil || source.node != nil)
        return y
    }

    /// The entries at `indices` (rank 1) along `axis` (PyTorch's `index_select`); also for
    /// integer tensors.
    ///
    /// Shape: `self.shape` with `axis` replaced by `indices.scalarCount`.
    public func selecting(along axis: Int, indices: Tensor) -> Tensor {
        let a = shape.axis(axis, op: "selecting")
        require(indices.rank == 1, "selecting: indices must have rank 1, got shape \(indices.shape)")
        var y = Kernels.indexSelect(self, axis: a, index: indices)
        y.record(.indexSelect(self, axis: a, index: indices), if: node != nil)
        return y
    }

    /// A copy of `self` with `source`'s entries added at `indices` along `axis` (PyTorch's
    /// `index_add`). Repeated indices add up.
    ///
    /// Shape: `self.shape`; `source` is `self.shape` with `axis` replaced by `indices.scalarCount`.
    public func indexAdding(along axis: Int, indices: Tensor, source: Tensor) -> Tensor {
        requireFloat("indexAdding")
        source.requireFloat("indexAdding")
        let a = shape.axis(axis, op: "indexAdding")
        require(indices.rank == 1, "indexAdding: indices must have rank 1, got shape \(indices.shape)")
        var expected = shape
        expected[a] = indices.scalarCount
        require(source.shape == expected, "indexAdding: source shape \(source.shape) should be \(expected)")
        var y = Kernels.indexAdd(self, axis: a, index: indices, source: source)
        y.record(.indexAdd(self, axis: a, index: indices, source: source), if: node != nil || source.node != nil)
        return y
    }

    /// Integer labels turned into float rows with a 1 at each label.
    ///
    /// Shape: `self.shape + [classCount]`.
    public func oneHot(classCount: Int) -> Tensor {
        let labels = Kernels.indices(self, bound: classCount, op: "oneHot")
        var values = [Float](repeating: 0, count: labels.count * classCount)
        for (i, label) in labels.enumerated() { values[i * classCount + label] = 1 }
        return Tensor(values, shape: Shape(shape.dimensions + [classCount]))
    }

    private func checkIndexShape(_ index: Shape, axis: Int, _ op: StaticString) {
        require(
            index.rank == rank && (0..<rank).allSatisfy { $0 == axis || index[$0] <= shape[$0] },
            "\(op): indices shape \(index) must not exceed shape \(shape) except along axis \(axis)")
    }

    /// `self` cut to `index`'s extent along every axis but `axis`, when that is smaller; nil
    /// when `index` already spans `self` there.
    private func leadingPart(for index: Shape, axis: Int) -> Tensor? {
        guard (0..<rank).contains(where: { $0 != axis && index[$0] < shape[$0] }) else { return nil }
        var part = self
        for d in 0..<rank where d != axis && index[d] < shape[d] { part = part.sliced(along: d, from: 0, to: index[d]) }
        return part
    }
}
