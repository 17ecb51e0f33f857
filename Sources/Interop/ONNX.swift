import Foundation
import Layers
import TensorCore

/// ONNX export (opset 17): a network of built-in layers as a `ModelProto` that onnxruntime, or
/// any ONNX runtime, runs with a dynamic batch dimension. Written from the ONNX specification
/// (`onnx.proto`) with the same `ProtobufWriter` as TensorBoard's event files.
///
/// Exported so far: `Sequential`, `Linear`, `Dense` (with its activation), `Conv2D`, `MaxPool2D`,
/// `AvgPool2D` (unpadded), `GlobalPool`, `BatchNorm` (inference form), `ResidualBlock`, `LayerNorm`,
/// `Normalization`, `Parallel`, `Flatten`, `Reshape`, the activations and `Dropout` (dropped).
/// Any other layer is an error naming it.
public enum ONNX {
    public static let opset = 17
    /// The IR version that goes with opset 17.
    public static let irVersion = 8

    public struct ExportError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Writes `model`, which takes examples of shape `inputShape` (without the batch), to `path`.
    public static func export(_ model: any Layer, inputShape: [Int], to path: String) throws {
        try writeAtomically(Data(try encode(model, inputShape: inputShape)), to: path)
    }

    /// The bytes of the ONNX file of `model`.
    public static func encode(_ model: any Layer, inputShape: [Int]) throws -> [UInt8] {
        guard !inputShape.isEmpty, inputShape.allSatisfy({ $0 > 0 }) else {
            throw ExportError(description: "input shape \(inputShape) must be one or more positive sizes")
        }
        let outputShape: [Int]
        do { outputShape = Array(try model.checkedOutputShape(for: [1] + inputShape).dropFirst()) } catch {
            throw ExportError(description: "the network does not take inputs of shape \(inputShape): \(error)")
        }
        let graph = Graph()
        let output = try graph.emit(model, "input")
        var m = ProtobufWriter()
        m.varint(1, Int64(irVersion))
        m.string(2, "swift-deep-learning")
        m.string(3, "1")
        m.message(7) { g in
            for node in graph.nodes { g.bytes(1, node) }
            g.string(2, "main")
            for t in graph.initializers { g.bytes(5, t) }
            g.message(11) { valueInfo(&$0, "input", inputShape) }
            // The last node writes the graph's output under its own name; an Identity renames it.
            g.message(1) { n in
                n.string(1, output)
                n.string(2, "output")
                n.string(3, "output")
                n.string(4, "Identity")
            }
            g.message(12) { valueInfo(&$0, "output", outputShape) }
        }
        m.message(8) { o in
            o.string(1, "")
            o.varint(2, Int64(opset))
        }
        return m.bytes
    }

    /// A float tensor value of shape `[batch, shape...]`, the batch a named (dynamic) dimension.
    private static func valueInfo(_ v: inout ProtobufWriter, _ name: String, _ shape: [Int]) {
        v.string(1, name)
        v.message(2) { type in
            type.message(1) { tensor in
                tensor.varint(1, 1)   // FLOAT
                tensor.message(2) { s in
                    s.message(1) { $0.string(2, "batch") }
                    for d in shape { s.message(1) { $0.varint(1, Int64(d)) } }
                }
            }
        }
    }
}

/// The nodes and initializers of a graph being built.
private final class Graph {
    var nodes: [[UInt8]] = [], initializers: [[UInt8]] = []
    private var count = 0

    private func fresh(_ base: String) -> String {
        count += 1
        return "\(base)_\(count)"
    }

    /// A constant: float32 values (or int64 with `integers`).
    func constant(_ base: String, _ values: [Float], shape: [Int]) -> String {
        let name = fresh(base)
        var t = ProtobufWriter()
        for d in shape { t.varint(1, Int64(d)) }
        t.varint(2, 1)   // FLOAT
        t.string(8, name)
        t.bytes(9, values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } })
        initializers.append(t.bytes)
        return name
    }

    func integers(_ base: String, _ values: [Int]) -> String {
        let name = fresh(base)
        var t = ProtobufWriter()
        t.varint(1, Int64(values.count))
        t.varint(2, 7)   // INT64
        t.string(8, name)
        t.bytes(9, values.flatMap { v in withUnsafeBytes(of: Int64(v).littleEndian) { Array($0) } })
        initializers.append(t.bytes)
        return name
    }

    func parameter(_ p: Parameter, _ base: String) -> String { constant(base, p.value.scalars, shape: p.shape.dimensions) }

    enum Attribute {
        case int(Int), float(Float), ints([Int]), string(String)
    }

    /// Adds a node and returns its output's name.
    @discardableResult
    func node(_ op: String, _ inputs: [String], _ attributes: [(String, Attribute)] = []) -> String {
        let output = fresh(op.lowercased())
        var n = ProtobufWriter()
        for i in inputs { n.string(1, i) }
        n.string(2, output)
        n.string(3, output)
        n.string(4, op)
        for (name, value) in attributes {
            n.message(5) { a in
                a.string(1, name)
                switch value {
                case .float(let f): a.float(2, f); a.varint(20, 1)
                case .int(let i): a.varint(3, Int64(i)); a.varint(20, 2)
                case .string(let s): a.bytes(4, Array(s.utf8)); a.varint(20, 3)
                case .ints(let v): for x in v { a.varint(8, Int64(x)) }; a.varint(20, 7)
                }
            }
        }
        nodes.append(n.bytes)
        return output
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

    private func pads(_ padding: Padding, _ name: String) throws -> [(String, Attribute)] {
        switch padding {
        case .valid: return []
        case .same: return [("auto_pad", .string("SAME_UPPER"))]
        case .explicit(let t, let b, let l, let r): return [("pads", .ints([t, l, b, r]))]
        }
    }

    func emit(_ layer: any Layer, _ x: String) throws -> String {
        switch layer {
        case let s as Sequential:
            return try s.layers.reduce(x) { try emit($1, $0) }
        case let l as Linear:
            let inputs = [x, parameter(l.weight, "weight")] + (l.bias.map { [parameter($0, "bias")] } ?? [])
            return node("Gemm", inputs, [("transB", .int(1))])
        case let d as Dense:
            let inputs = [x, parameter(d.weight, "weight")] + (d.bias.map { [parameter($0, "bias")] } ?? [])
            return try activation(d.activation, node("Gemm", inputs, [("transB", .int(1))]))
        case let c as Conv2D:
            var attributes: [(String, Attribute)] = [
                ("kernel_shape", .ints([c.kernelSize.0, c.kernelSize.1])), ("strides", .ints([c.stride.0, c.stride.1])),
                ("dilations", .ints([c.dilation.0, c.dilation.1])), ("group", .int(c.groups))]
            attributes += try pads(c.padding, "Conv2D")
            let inputs = [x, parameter(c.weight, "weight")] + (c.bias.map { [parameter($0, "bias")] } ?? [])
            return try activation(c.activation, node("Conv", inputs, attributes), softmaxAxis: 1)
        case let p as MaxPool2D:
            return node("MaxPool", [x], [("kernel_shape", .ints([p.kernelSize.0, p.kernelSize.1])),
                                         ("strides", .ints([p.stride.0, p.stride.1]))] + (try pads(p.padding, "MaxPool2D")))
        case let p as AvgPool2D:
            guard p.padding == .valid else { throw ONNX.ExportError(description: "\(p): padded average pooling is not exported yet") }
            return node("AveragePool", [x], [("kernel_shape", .ints([p.kernelSize.0, p.kernelSize.1])),
                                             ("strides", .ints([p.stride.0, p.stride.1]))])
        case let g as GlobalPool:
            return node("Flatten", [node(g.kind == .average ? "GlobalAveragePool" : "GlobalMaxPool", [x])], [("axis", .int(1))])
        case let b as BatchNorm:
            return node("BatchNormalization", [x, parameter(b.weight, "gamma"), parameter(b.bias, "beta"),
                                               parameter(b.running_mean, "mean"), parameter(b.running_var, "var")],
                        [("epsilon", .float(b.epsilon))])
        case let n as LayerNorm:
            return node("LayerNormalization", [x, parameter(n.weight, "gamma"), parameter(n.bias, "beta")],
                        [("axis", .int(-n.normalizedShape.rank)), ("epsilon", .float(n.epsilon))])
        case let n as Normalization:
            let f = n.mean.shape.dimensions
            let inverse = n.variance.value.scalars.map { $0 > 0 ? 1 / $0.squareRoot() : 1 }
            let mean = parameter(n.mean, "mean")
            if n.invert { return node("Add", [node("Div", [x, constant("inverse_std", inverse, shape: f)]), mean]) }
            return node("Mul", [node("Sub", [x, mean]), constant("inverse_std", inverse, shape: f)])
        case let r as ResidualBlock:
            let y = try emit(r.bn2, emit(r.conv2, node("Relu", [emit(r.bn1, emit(r.conv1, x))])))
            return node("Relu", [node("Add", [y, try r.shortcut.map { try emit($0, x) } ?? x])])
        case let p as Parallel:
            let outputs = try p.branches.map { try emit($0, x) }
            switch p.combine {
            case .sum: return outputs.count == 1 ? outputs[0] : node("Sum", outputs)
            case .mean: return outputs.count == 1 ? outputs[0] : node("Mean", outputs)
            case .concatenate: return outputs.count == 1 ? outputs[0] : node("Concat", outputs, [("axis", .int(-1))])
            }
        case is Flatten:
            return node("Flatten", [x], [("axis", .int(1))])
        case let r as Reshape:
            return node("Reshape", [x, integers("shape", [-1] + r.shape.dimensions)])
        case is Dropout, is Dropout2D:
            return x
        case is ReLU: return node("Relu", [x])
        case is Sigmoid: return node("Sigmoid", [x])
        case is Tanh: return node("Tanh", [x])
        case let s as Softmax: return node("Softmax", [x], [("axis", .int(s.axis))])
        case let l as LeakyReLU: return node("LeakyRelu", [x], [("alpha", .float(l.negativeSlope))])
        case let e as ELU: return node("Elu", [x], [("alpha", .float(e.alpha))])
        case let g as GELU:
            guard !g.approximate else { throw ONNX.ExportError(description: "GELU(approximate: true) is not exported yet") }
            return gelu(x)
        default:
            throw ONNX.ExportError(description: "\(layer.description.split(separator: "\n").first ?? ""): no ONNX export for this layer yet")
        }
    }
}
