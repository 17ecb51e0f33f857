import CPUBackend

/// The backend seam: every primitive's forward computation (and each backward computation that
/// is not itself a composition of primitives) goes through `Kernels`, and only `Kernels` knows
/// which device runs it. Outputs are allocated by the device that computes them
/// (`Device.allocate`); what the tape saves is tensors. Results carry no tape entry; callers
/// record. One file per family: `Kernels+Elementwise.swift`, `Kernels+Reduction.swift`, ...
package enum Kernels {
    /// Integer indices as `Int`, checked against `bound`.
    static func indices(_ index: Tensor, bound: Int, op: StaticString) -> [Int] {
        require(!index.dtype.isFloatingPoint, "\(op): indices must be int32 or int64, got \(index.dtype)")
        let values = index.integers
        for v in values where v < 0 || v >= bound {
            requirementFailure("\(op): index \(v) is out of range 0..<\(bound)")
        }
        return values
    }

    /// `[outer, length, inner]` around `axis`.
    static func split(_ shape: Shape, at axis: Int) -> (outer: Int, length: Int, inner: Int) {
        split(shape, around: axis...axis)
    }

    /// `[outer, length, inner]` around the adjacent `axes` (`length` is their product).
    static func split(_ shape: Shape, around axes: ClosedRange<Int>) -> (outer: Int, length: Int, inner: Int) {
        let d = shape.dimensions
        return (d[..<axes.lowerBound].reduce(1, *), d[axes].reduce(1, *), d[(axes.upperBound + 1)...].reduce(1, *))
    }
}
