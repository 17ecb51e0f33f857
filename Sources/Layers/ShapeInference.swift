import TensorCore

/// Layers that can tell, without running, the shape they give for an input shape, or why they
/// cannot take it (Keras' `compute_output_shape`). The command-line tool checks a network rebuilt
/// from a file against its data this way before running it, so a checkpoint whose layers do not
/// fit together (or do not fit the images) is an error instead of a stopped process.
public protocol ShapeInferring: Layer {
    /// The output shape for an input of shape `input` (the batch dimension first).
    func outputShape(for input: [Int]) throws -> [Int]
}

/// An input a layer cannot take, found before running it.
public struct ShapeError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension Layer {
    /// The output shape for `input`, checking every layer on the way; throws `ShapeError` for an
    /// input a layer cannot take, for a layer that cannot check itself, and for outputs of more
    /// than 2^28 elements per example.
    public func checkedOutputShape(for input: [Int]) throws -> [Int] {
        guard let layer = self as? any ShapeInferring else {
            throw ShapeError("\(description): cannot check its input shape before running")
        }
        let output = try layer.outputShape(for: input)
        var perExample = 1
        for d in output.dropFirst() {
            let (p, overflow) = perExample.multipliedReportingOverflow(by: d)
            guard d > 0, !overflow, p <= 1 << 28 else {
                throw ShapeError("\(description): input \(input) gives output \(output), too large or empty")
            }
            perExample = p
        }
        return output
    }
}

/// Throws `ShapeError` naming `layer` and the input unless `condition` holds.
private func expect(_ condition: Bool, _ layer: any Layer, _ input: [Int], _ expected: @autoclosure () -> String) throws {
    if !condition { throw ShapeError("\(layer.description): input of shape \(input) \(expected())") }
}

/// The output height and width of a 2-D window op, by the ops' own `windowGeometry` (also for
/// the window layers of other targets: the int8 convolution).
package func windowOutput(_ layer: any Layer, _ input: [Int], kernel: (Int, Int), stride: (Int, Int), padding: Padding,
                          dilation: (Int, Int) = (1, 1)) throws -> (Int, Int) {
    try expect(input.count == 4 && input.allSatisfy { $0 >= 0 }, layer, input, "should be [N, C, H, W]")
    switch windowGeometry(shape: Shape(input), kernel: kernel, stride: stride, padding: padding, dilation: dilation) {
    case .success(let g): return (g.outputHeight, g.outputWidth)
    case .failure(let problem): throw ShapeError("\(layer.description): \(problem.message)")
    }
}

extension Linear: ShapeInferring {
    public func outputShape(for input: [Int]) throws -> [Int] {
        try expect(input.last == inFeatures, self, input, "should end in \(inFeatures)")
        return input.dropLast() + [outFeatures]
    }
}

/// Layers that keep their input's shape.
public protocol ShapePreserving: ShapeInferring {}
extension ShapePreserving {
    public func outputShape(for input: [Int]) throws -> [Int] { input }
}
extension ReLU: ShapePreserving {}
extension LeakyReLU: ShapePreserving {}
extension ELU: ShapePreserving {}
extension GELU: ShapePreserving {}
extension Sigmoid: ShapePreserving {}
extension Tanh: ShapePreserving {}
extension Dropout: ShapePreserving {}

extension Softmax: ShapeInferring {
    public func outputShape(for input: [Int]) throws -> [Int] {
        try expect((-input.count..<input.count).contains(axis), self, input, "has no axis \(axis)")
        return input
    }
}

extension Dropout2D: ShapeInferring {
    public func outputShape(for input: [Int]) throws -> [Int] {
        try expect(input.count >= 3, self, input, "has no spatial axes")
        return input
    }
}

extension Flatten: ShapeInferring {
    public func outputShape(for input: [Int]) throws -> [Int] {
        try expect(!input.isEmpty, self, input, "has no batch axis")
        return [input[0], input.dropFirst().reduce(1, *)]
    }
}

extension Reshape: ShapeInferring {
    public func outputShape(for input: [Int]) throws -> [Int] {
        let (have, want) = (input.dropFirst().reduce(1, *), shape.dimensions.reduce(1, *))
        try expect(!input.isEmpty && have == want, self, input, "has \(have) values per example, not \(want)")
        return [input[0]] + shape.dimensions
    }
}

extension Sequential: ShapeInferring {
    public func outputShape(for input: [Int]) throws -> [Int] {
        try layers.reduce(input) { try $1.checkedOutputShape(for: $0) }
    }
}

extension Conv2D: ShapeInferring {
    public func outputShape(for input: [Int]) throws -> [Int] {
        try expect(input.count == 4 && input[1] == inChannels, self, input, "should be [N, \(inChannels), H, W]")
        let (h, w) = try windowOutput(self, input, kernel: kernelSize, stride: stride, padding: padding, dilation: dilation)
        return [input[0], outChannels, h, w]
    }
}

extension ConvTranspose2D: ShapeInferring {
    /// `(H - 1)·stride - 2·padding + dilation·(k - 1) + outputPadding + 1` on each axis.
    public func outputShape(for input: [Int]) throws -> [Int] {
        try expect(input.count == 4 && input[1] == inChannels && input[2] >= 1 && input[3] >= 1, self, input,
                   "should be [N, \(inChannels), H, W]")
        func size(_ n: Int, _ k: Int, _ s: Int, _ p: Int, _ op: Int, _ d: Int) -> Int { (n - 1) * s - 2 * p + d * (k - 1) + op + 1 }
        let h = size(input[2], kernelSize.0, stride.0, padding.0, outputPadding.0, dilation.0)
        let w = size(input[3], kernelSize.1, stride.1, padding.1, outputPadding.1, dilation.1)
        try expect(h >= 1 && w >= 1, self, input, "gives an empty output")
        return [input[0], outChannels, h, w]
    }
}

extension Conv1D: ShapeInferring {
    public func outputShape(for input: [Int]) throws -> [Int] {
        try expect(input.count == 3 && input[1] == inChannels, self, input, "should be [N, \(inChannels), L]")
        let (_, l) = try windowOutput(self, [input[0], input[1], 1, input[2]], kernel: (1, kernelSize), stride: (1, stride),
                                      padding: oneDimensional(padding), dilation: (1, dilation))
        return [input[0], outChannels, l]
    }
}

/// `conv1d`'s reading of a padding: explicit amounts apply to the left and right only.
private func oneDimensional(_ padding: Padding) -> Padding {
    guard case .explicit(_, _, let l, let r) = padding else { return padding }
    return .explicit(top: 0, bottom: 0, left: l, right: r)
}

extension MaxPool2D: ShapeInferring {
    public func outputShape(for input: [Int]) throws -> [Int] {
        let (h, w) = try windowOutput(self, input, kernel: kernelSize, stride: stride, padding: padding)
        return [input[0], input[1], h, w]
    }
}

extension AvgPool2D: ShapeInferring {
    public func outputShape(for input: [Int]) throws -> [Int] {
        let (h, w) = try windowOutput(self, input, kernel: kernelSize, stride: stride, padding: padding)
        return [input[0], input[1], h, w]
    }
}

extension GlobalPool: ShapeInferring {
    public func outputShape(for input: [Int]) throws -> [Int] {
        try expect(input.count >= 3, self, input, "has no spatial axes")
        return Array(input.prefix(2))
    }
}

extension AdaptiveAvgPool2D: ShapeInferring {
    public func outputShape(for input: [Int]) throws -> [Int] {
        try expect(input.count == 4, self, input, "should be [N, C, H, W]")
        return [input[0], input[1], outputSize.0, outputSize.1]
    }
}

extension BatchNorm: ShapeInferring {
    public func outputShape(for input: [Int]) throws -> [Int] {
        try expect(input.count >= 2 && input[1] == features, self, input, "should have \(features) channels on axis 1")
        return input
    }
}

extension LayerNorm: ShapeInferring {
    public func outputShape(for input: [Int]) throws -> [Int] {
        let k = normalizedShape.rank
        try expect(input.count >= k && Array(input.suffix(k)) == normalizedShape.dimensions, self, input,
                   "should end in \(normalizedShape.dimensions)")
        return input
    }
}

extension GroupNorm: ShapeInferring {
    public func outputShape(for input: [Int]) throws -> [Int] {
        try expect(input.count >= 2 && input[1] == channels, self, input, "should have \(channels) channels on axis 1")
        return input
    }
}

extension ResidualBlock: ShapeInferring {
    public func outputShape(for input: [Int]) throws -> [Int] {
        let main = try bn2.checkedOutputShape(for: conv2.checkedOutputShape(for: bn1.checkedOutputShape(for: conv1.checkedOutputShape(for: input))))
        let side = try shortcut?.checkedOutputShape(for: input) ?? input
        try expect(main == side, self, input, "gives \(main) on the main path and \(side) on the shortcut")
        return main
    }
}

extension Upsample: ShapeInferring {
    public func outputShape(for input: [Int]) throws -> [Int] {
        try expect(input.count == 4, self, input, "should be [N, C, H, W]")
        return [input[0], input[1], input[2] * scale, input[3] * scale]
    }
}

extension Recurrent: ShapeInferring {
    public func outputShape(for input: [Int]) throws -> [Int] {
        try expect(input.count == 3 && input[2] == inputSize, self, input, "should be [N, T, \(inputSize)]")
        return returnSequences ? [input[0], input[1], hiddenSize] : [input[0], hiddenSize]
    }
}

extension Bidirectional: ShapeInferring {
    public func outputShape(for input: [Int]) throws -> [Int] {
        var shape = try forward.outputShape(for: input)
        shape[shape.count - 1] *= 2
        return shape
    }
}
