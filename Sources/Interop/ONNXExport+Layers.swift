import Layers
import TensorCore

/// The built-in layers as ONNX nodes: feed-forward, convolutional, normalization and reshaping
/// layers here, the sequence layers in ONNXExport+Sequence.swift.
extension ONNXGraphBuilder {
    typealias Err = ONNX.ExportError

    /// Adds the nodes computing `layer` on `x` and returns their result.
    public func emit(_ layer: any Layer, _ x: Value) throws -> Value {
        if let custom = layer as? any ONNXExportable { return try custom.emitONNX(into: self, x) }
        if let y = try emitSequenceLayer(layer, x) { return y }
        switch layer {
        case let s as Sequential:
            return try s.layers.reduce(x) { try emit($1, $0) }
        case let l as Linear:
            return linear(x, weight: l.weight, bias: l.bias)
        case let d as Dense:
            let y = linear(x, weight: d.weight, bias: d.bias)
            return value(try activation(d.activation, y.name), y.shape)
        case let c as Conv2D:
            var attributes: [(String, Attribute)] = [
                ("kernel_shape", .ints([c.kernelSize.0, c.kernelSize.1])), ("strides", .ints([c.stride.0, c.stride.1])),
                ("dilations", .ints([c.dilation.0, c.dilation.1])), ("group", .int(c.groups))]
            attributes += pads(c.padding)
            let inputs = [x.name, parameter(c.weight, "weight")] + (c.bias.map { [parameter($0, "bias")] } ?? [])
            return result(try activation(c.activation, node("Conv", inputs, attributes), softmaxAxis: 1), of: c, on: x)
        case let c as Conv1D:
            var attributes: [(String, Attribute)] = [
                ("kernel_shape", .ints([c.kernelSize])), ("strides", .ints([c.stride])),
                ("dilations", .ints([c.dilation])), ("group", .int(c.groups))]
            switch c.padding {
            case .valid: break
            case .same: attributes.append(("auto_pad", .string("SAME_UPPER")))
            case .explicit(_, _, let l, let r): attributes.append(("pads", .ints([l, r])))
            }
            let inputs = [x.name, parameter(c.weight, "weight")] + (c.bias.map { [parameter($0, "bias")] } ?? [])
            return result(try activation(c.activation, node("Conv", inputs, attributes), softmaxAxis: 1), of: c, on: x)
        case let c as ConvTranspose2D:
            let attributes: [(String, Attribute)] = [
                ("kernel_shape", .ints([c.kernelSize.0, c.kernelSize.1])), ("strides", .ints([c.stride.0, c.stride.1])),
                ("dilations", .ints([c.dilation.0, c.dilation.1])), ("group", .int(c.groups)),
                ("pads", .ints([c.padding.0, c.padding.1, c.padding.0, c.padding.1])),
                ("output_padding", .ints([c.outputPadding.0, c.outputPadding.1]))]
            let inputs = [x.name, parameter(c.weight, "weight")] + (c.bias.map { [parameter($0, "bias")] } ?? [])
            return result(node("ConvTranspose", inputs, attributes), of: c, on: x)
        case let p as MaxPool2D:
            return result(node("MaxPool", [x.name], [("kernel_shape", .ints([p.kernelSize.0, p.kernelSize.1])),
                                                     ("strides", .ints([p.stride.0, p.stride.1]))] + pads(p.padding)), of: p, on: x)
        case let p as AvgPool2D:
            guard p.padding == .valid else { throw Err(description: "\(p): padded average pooling is not exported yet") }
            return result(node("AveragePool", [x.name], [("kernel_shape", .ints([p.kernelSize.0, p.kernelSize.1])),
                                                         ("strides", .ints([p.stride.0, p.stride.1]))]), of: p, on: x)
        case let p as MaxPool1D:
            return result(node("MaxPool", [x.name], [("kernel_shape", .ints([p.kernelSize])), ("strides", .ints([p.stride]))]), of: p, on: x)
        case let p as AvgPool1D:
            return result(node("AveragePool", [x.name], [("kernel_shape", .ints([p.kernelSize])), ("strides", .ints([p.stride]))]), of: p, on: x)
        case let g as GlobalPool:
            let pooled = node(g.kind == .average ? "GlobalAveragePool" : "GlobalMaxPool", [x.name])
            return value(node("Flatten", [pooled], [("axis", .int(1))]), [x.shape[0]])
        case let a as AdaptiveAvgPool2D:
            // The same averaging matrices as the layer: A_h · x · A_wᵀ.
            let rows = AdaptiveAvgPool2D.averagingMatrix(from: x.shape[1], to: a.outputSize.0)
            let columns = AdaptiveAvgPool2D.averagingMatrix(from: x.shape[2], to: a.outputSize.1)
            let y = node("MatMul", [node("MatMul", [constant("rows", rows), x.name]), constant("columns_t", columns.transposed())])
            return result(y, of: a, on: x)
        case let u as Upsample:
            let scales = constant("scales", [1, 1, Float(u.scale), Float(u.scale)], shape: [4])
            let attributes: [(String, Attribute)] = u.mode == .nearest
                ? [("mode", .string("nearest")), ("coordinate_transformation_mode", .string("asymmetric")), ("nearest_mode", .string("floor"))]
                : [("mode", .string("linear")), ("coordinate_transformation_mode", .string("half_pixel"))]
            return result(node("Resize", [x.name, "", scales], attributes), of: u, on: x)
        case let b as BatchNorm:
            return value(node("BatchNormalization", [x.name, parameter(b.weight, "gamma"), parameter(b.bias, "beta"),
                                                     parameter(b.running_mean, "mean"), parameter(b.running_var, "var")],
                              [("epsilon", .float(b.epsilon))]), x.shape)
        case let n as LayerNorm:
            return value(node("LayerNormalization", [x.name, parameter(n.weight, "gamma"), parameter(n.bias, "beta")],
                              [("axis", .int(-n.normalizedShape.rank)), ("epsilon", .float(n.epsilon))]), x.shape)
        case let g as GroupNorm:
            // InstanceNormalization over [N, groups, rest] is GroupNorm before its per-channel affine.
            let grouped = reshape(x.name, [g.groups, -1])
            let normalized = node("InstanceNormalization", [grouped, constant("ones", [Float](repeating: 1, count: g.groups), shape: [g.groups]),
                                                            constant("zeros", [Float](repeating: 0, count: g.groups), shape: [g.groups])],
                                  [("epsilon", .float(g.epsilon))])
            let affine = [g.channels] + [Int](repeating: 1, count: x.shape.count - 1)
            let back = reshape(normalized, x.shape)
            let scaled = node("Mul", [back, constant("gamma", g.weight.value.reshaped(to: Shape(affine)))])
            return value(node("Add", [scaled, constant("beta", g.bias.value.reshaped(to: Shape(affine)))]), x.shape)
        case let n as Normalization:
            let f = n.mean.shape.dimensions
            let inverse = n.variance.value.scalars.map { $0 > 0 ? 1 / $0.squareRoot() : 1 }
            let mean = parameter(n.mean, "mean")
            if n.invert { return value(node("Add", [node("Div", [x.name, constant("inverse_std", inverse, shape: f)]), mean]), x.shape) }
            return value(node("Mul", [node("Sub", [x.name, mean]), constant("inverse_std", inverse, shape: f)]), x.shape)
        case let r as ResidualBlock:
            let h = try emit(r.bn1, emit(r.conv1, x))
            let y = try emit(r.bn2, emit(r.conv2, value(node("Relu", [h.name]), h.shape)))
            let shortcut = try r.shortcut.map { try emit($0, x) } ?? x
            return value(node("Relu", [node("Add", [y.name, shortcut.name])]), shortcut.shape)
        case let p as Parallel:
            let outputs = try p.branches.map { try emit($0, x) }
            guard outputs.count > 1 else { return outputs[0] }
            switch p.combine {
            case .sum: return value(node("Sum", outputs.map(\.name)), outputs[0].shape)
            case .mean: return value(node("Mean", outputs.map(\.name)), outputs[0].shape)
            case .concatenate: return result(node("Concat", outputs.map(\.name), [("axis", .int(-1))]), of: p, on: x)
            }
        case is Flatten:
            return value(node("Flatten", [x.name], [("axis", .int(1))]), [x.shape.reduce(1, *)])
        case let r as Reshape:
            return result(node("Reshape", [x.name, integers("shape", [-1] + r.shape.dimensions)]), of: r, on: x)
        case is Dropout, is Dropout2D:
            return x
        case is ReLU: return value(node("Relu", [x.name]), x.shape)
        case is Sigmoid: return value(node("Sigmoid", [x.name]), x.shape)
        case is Tanh: return value(node("Tanh", [x.name]), x.shape)
        case let s as Softmax: return value(node("Softmax", [x.name], [("axis", .int(s.axis))]), x.shape)
        case let l as LeakyReLU: return value(node("LeakyRelu", [x.name], [("alpha", .float(l.negativeSlope))]), x.shape)
        case let e as ELU: return value(node("Elu", [x.name], [("alpha", .float(e.alpha))]), x.shape)
        case let g as GELU:
            guard !g.approximate else { throw Err(description: "GELU(approximate: true) is not exported yet") }
            return value(gelu(x.name), x.shape)
        default:
            throw Err(description: "\(layer.description.split(separator: "\n").first ?? ""): no ONNX export for this layer yet")
        }
    }

    func activation(_ a: Activation, _ x: String, softmaxAxis: Int = -1) throws -> String {
        switch a {
        case .linear: return x
        case .relu: return node("Relu", [x])
        case .sigmoid: return node("Sigmoid", [x])
        case .tanh: return node("Tanh", [x])
        case .softmax: return node("Softmax", [x], [("axis", .int(softmaxAxis))])
        case .elu: return node("Elu", [x], [("alpha", .float(1))])
        case .softplus: return node("Softplus", [x])
        case .gelu: return gelu(x)
        }
    }

    /// x · Φ(x) = x/2 · (1 + erf(x/√2)): Gelu is an operator only from opset 20.
    func gelu(_ x: String) -> String {
        let scaled = node("Div", [x, constant("sqrt2", [Float(2).squareRoot()], shape: [])])
        let shifted = node("Add", [node("Erf", [scaled]), constant("one", [1], shape: [])])
        return node("Mul", [node("Mul", [x, shifted]), constant("half", [0.5], shape: [])])
    }

    private func pads(_ padding: Padding) -> [(String, Attribute)] {
        switch padding {
        case .valid: return []
        case .same: return [("auto_pad", .string("SAME_UPPER"))]
        case .explicit(let t, let b, let l, let r): return [("pads", .ints([t, l, b, r]))]
        }
    }
}
