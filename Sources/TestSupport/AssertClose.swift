import Testing
import TensorCore

/// The largest elementwise `|a - b| - (atol + rtol * |b|)`; at most 0 when `a` is close to `b`.
///
/// NaN and the infinities have no distance: where `b` is NaN, `a` must be NaN too, where `b` is
/// infinite `a` must be the same infinity, and where `b` is finite `a` must be finite. A pair
/// that breaks this counts as `+infinity`, so a NaN can never slip through the comparison.
public func closenessExcess(_ a: [Float], _ b: [Float], atol: Float, rtol: Float) -> Float {
    var worst: Float?
    for (x, y) in zip(a, b) {
        if !x.isFinite || !y.isFinite {
            if (x.isNaN && y.isNaN) || (x.isInfinite && x == y) { continue }
            return .infinity
        }
        let excess = Swift.abs(x - y) - (atol + rtol * Swift.abs(y))
        worst = Swift.max(worst ?? excess, excess)
    }
    return worst ?? 0
}

/// Expects `actual` to have `expected`'s shape and elements within `atol + rtol * |expected|`;
/// a NaN or infinity matches only the same in `expected` at the same position.
public func expectClose(
    _ actual: Tensor, _ expected: Tensor, atol: Float = 1e-5, rtol: Float = 1e-5,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.shape == expected.shape, "shape \(actual.shape) vs expected \(expected.shape)",
            sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    let excess = closenessExcess(actual.scalars, expected.scalars, atol: atol, rtol: rtol)
    #expect(excess <= 0, "\(actual.scalars) is not close to \(expected.scalars)", sourceLocation: sourceLocation)
}

/// Expects `actual` to hold `expected` (in row-major order) within `atol + rtol * |expected|`.
public func expectClose(
    _ actual: Tensor, _ expected: [Float], shape: Shape? = nil, atol: Float = 1e-5, rtol: Float = 1e-5,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let shape = shape ?? actual.shape
    #expect(shape.elementCount == expected.count, "\(expected.count) expected values for shape \(shape)",
            sourceLocation: sourceLocation)
    guard shape.elementCount == expected.count else { return }
    expectClose(actual, Tensor(expected, shape: shape), atol: atol, rtol: rtol, sourceLocation: sourceLocation)
}
