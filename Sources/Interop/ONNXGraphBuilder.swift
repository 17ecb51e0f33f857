import TensorCore
import Layers

/// A layer that writes itself into an ONNX graph: how a model defined outside the built-in
/// layers (a language model in `Models`, a layer of your own) is exported.
public protocol ONNXExportable: Layer {
    /// Adds the nodes computing this layer on `input` and returns their result.
    func emitONNX(into graph: ONNXGraphBuilder, _ input: ONNXGraphBuilder.Value) throws -> ONNXGraphBuilder.Value
}

/// The nodes and initializers of an ONNX graph being built, with a value's name, element type
/// and per-example shape (the batch is dimension 0 and dynamic).
public final class ONNXGraphBuilder {
    public struct Value: Sendable {
        public let name: String
        /// Without the batch dimension.
        public let shape: [Int]
        public let dtype: DType
        public init(name: String, shape: [Int], dtype: DType = .float32) {
            self.name = name; self.shape = shape; self.dtype = dtype
        }
    }

    public enum Attribute {
        case int(Int), float(Float), ints([Int]), string(String), strings([String])
    }

    private(set) var nodes: [[UInt8]] = [], initializers: [[UInt8]] = []
    private var count = 0

    init() {}

    private func fresh(_ base: String) -> String {
        count += 1
        return "\(base)_\(count)"
    }

    /// ONNX's `TensorProto.DataType` for our element types.
    static func elementType(_ dtype: DType) -> Int64 {
        switch dtype {
        case .float32: return 1
        case .int32: return 6
        case .int64: return 7
        case .int8: return 3
        case .uint8: return 2
        }
    }

    /// A float32 constant of `shape`.
    public func constant(_ base: String, _ values: [Float], shape: [Int]) -> String {
        require(values.count == shape.reduce(1, *), "ONNX constant '\(base)': \(values.count) values for shape \(shape)")
        let name = fresh(base)
        var t = ProtobufWriter()
        for d in shape { t.varint(1, Int64(d)) }
        t.varint(2, 1)   // FLOAT
        t.string(8, name)
        t.bytes(9, values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } })
        initializers.append(t.bytes)
        return name
    }

    /// A float32 constant holding `tensor`.
    public func constant(_ base: String, _ tensor: Tensor) -> String {
        constant(base, tensor.scalars, shape: tensor.shape.dimensions)
    }

    /// A one-dimensional int64 constant (shapes, axes, permutations).
    public func integers(_ base: String, _ values: [Int]) -> String {
        let name = fresh(base)
        var t = ProtobufWriter()
        t.varint(1, Int64(values.count))
        t.varint(2, 7)   // INT64
        t.string(8, name)
        t.bytes(9, values.flatMap { v in withUnsafeBytes(of: Int64(v).littleEndian) { Array($0) } })
        initializers.append(t.bytes)
        return name
    }

    public func parameter(_ p: Parameter, _ base: String) -> String { constant(base, p.value) }

    /// Adds a node of `outputs` results and returns their names.
    public func node(_ op: String, _ inputs: [String], _ attributes: [(String, Attribute)] = [], outputs: Int) -> [String] {
        let names = (0..<outputs).map { _ in fresh(op.lowercased()) }
        var n = ProtobufWriter()
        for i in inputs { n.string(1, i) }
        for o in names { n.string(2, o) }
        n.string(3, names[0])
        n.string(4, op)
        for (name, value) in attributes {
            n.message(5) { a in
                a.string(1, name)
                switch value {
                case .float(let f): a.float(2, f); a.varint(20, 1)
                case .int(let i): a.varint(3, Int64(i)); a.varint(20, 2)
                case .string(let s): a.bytes(4, Array(s.utf8)); a.varint(20, 3)
                case .ints(let v): for x in v { a.varint(8, Int64(x)) }; a.varint(20, 7)
                case .strings(let v): for s in v { a.bytes(9, Array(s.utf8)) }; a.varint(20, 8)
                }
            }
        }
        nodes.append(n.bytes)
        return names
    }

    /// Adds a node and returns its output's name.
    @discardableResult
    public func node(_ op: String, _ inputs: [String], _ attributes: [(String, Attribute)] = []) -> String {
        node(op, inputs, attributes, outputs: 1)[0]
    }

    /// `value` after `layer`: the node's output `name` with the shape and type that running the
    /// layer on one example gives.
    public func result(_ name: String, of layer: any Layer, on value: Value) -> Value {
        let y = withoutGradients { layer(Tensor.zeros(Shape([1] + value.shape), dtype: value.dtype)) }
        return Value(name: name, shape: Array(y.shape.dimensions.dropFirst()), dtype: y.dtype)
    }

    /// A value of `shape` (without the batch) under the name `name`.
    public func value(_ name: String, _ shape: [Int], dtype: DType = .float32) -> Value { Value(name: name, shape: shape, dtype: dtype) }

    /// `x Wᵀ + b` for `x` of any rank: Gemm for a matrix, MatMul and Add otherwise.
    public func linear(_ x: Value, weight: Parameter, bias: Parameter?) -> Value {
        let out = weight.shape[0]
        if x.shape.count == 1 {
            let inputs = [x.name, parameter(weight, "weight")] + (bias.map { [parameter($0, "bias")] } ?? [])
            return value(node("Gemm", inputs, [("transB", .int(1))]), [out])
        }
        var y = node("MatMul", [x.name, constant("weight_t", weight.value.transposed())])
        if let bias { y = node("Add", [y, parameter(bias, "bias")]) }
        return value(y, Array(x.shape.dropLast()) + [out])
    }

    /// Reshapes `x` to `[batch] + shape` (a 0 keeps that dimension of the input).
    public func reshape(_ x: String, _ shape: [Int]) -> String { node("Reshape", [x, integers("shape", [0] + shape)]) }

    public func transpose(_ x: String, _ permutation: [Int]) -> String { node("Transpose", [x], [("perm", .ints(permutation))]) }
}
