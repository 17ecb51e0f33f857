import Testing
import TensorCore

/// The largest elementwise `|a - b| - (atol + rtol * |b|)`; at most 0 when `a` is close to `b`.
public func closenessExcess(_ a: [Float], _ b: [Float], atol: Float, rtol: Float) -> Float {
    zip(a, b).map { Swift.abs($0 - $1) - (atol + rtol * Swift.abs($1)) }.max() ?? 0
}

/// Expects `actual` to have `expected`'s shape and elements within `atol + rtol * |expected|`.
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
