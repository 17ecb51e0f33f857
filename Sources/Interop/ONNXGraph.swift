import TensorCore
import Layers

/// An ONNX graph run node by node on the library's ops: what `ONNX.importModel` gives for a
/// graph that is not a plain chain of our layers (a PyTorch LSTM classifier with its
/// shape arithmetic, an attention network). Its float initializers are trainable parameters
/// under their ONNX names (for a PyTorch export, the `state_dict` names of the Gemm, Conv and
/// BatchNormalization weights; PyTorch's exporter renames an LSTM's to `onnx::LSTM_…`, stored in
/// ONNX's gate order), so it trains,
/// fine-tunes and saves like any layer; `Checkpoint.save` records the graph in the
/// architecture.
///
/// Shape: the graph's input (a dynamic batch first) -> its first output.
public final class ONNXGraph: Layer {
    public let nodes: [ONNXFile.Node]
    public let inputName: String, outputName: String
    public let inputType: DType
    public let opset: Int
    /// The float32 initializers by name, then the float constants of Constant nodes (frozen).
    public let parameters: [(name: String, parameter: Parameter)]
    /// The integer initializers and the values of Constant nodes.
    let constants: [String: Tensor]

    /// The main graph of `file`, checked: every node's operator supported and every value it
    /// reads produced before it.
    public convenience init(file: ONNXFile) throws {
        let input = file.inputs[0]
        guard file.inputs.count == 1 else {
            throw ONNX.ImportError(description: "the graph has \(file.inputs.count) inputs (\(file.inputs.map(\.name))); one is supported")
        }
        let type: DType
        switch input.elementType {
        case 1: type = .float32
        case 6, 7: type = .int64
        default: throw ONNX.ImportError(description: "the input '\(input.name)' has ONNX type \(input.elementType); float and int32/int64 are supported")
        }
        var parameters: [(String, Parameter)] = [], constants: [String: Tensor] = [:]
        for (name, t) in file.initializers.sorted(by: { $0.key < $1.key }) {
            if t.dtype == .float32 { parameters.append((name, Parameter(t))) } else { constants[name] = t }
        }
        try self.init(nodes: file.nodes, input: input.name, output: file.outputs[0].name, inputType: type, opset: file.opset,
                      parameters: parameters, constants: constants)
    }

    init(nodes: [ONNXFile.Node], input: String, output: String, inputType: DType, opset: Int,
         parameters: [(String, Parameter)], constants: [String: Tensor]) throws {
        var constants = constants, parameters = parameters
        var kept: [ONNXFile.Node] = []
        var known = Set([input] + parameters.map(\.0) + constants.keys)
        for node in nodes {
            guard ONNXOperators.supported.contains(node.op) else {
                throw ONNX.ImportError(description: "node '\(node.name)': the operator \(node.op) is not supported")
            }
            for i in node.inputs where !i.isEmpty && !known.contains(i) {
                throw ONNX.ImportError(description: "node '\(node.name)' (\(node.op)) reads '\(i)', which nothing before it produces")
            }
            if node.op == "Constant" {
                // Folded now: a constant is a value, not a step; a float one is a frozen parameter.
                let value = try ONNXOperators(opset: opset).evaluate(node, [])[0]
                if value.dtype == .float32 { parameters.append((node.outputs[0], Parameter(value, trainable: false))) } else { constants[node.outputs[0]] = value }
            } else {
                kept.append(node)
            }
            known.formUnion(node.outputs.filter { !$0.isEmpty })
        }
        guard known.contains(output) else { throw ONNX.ImportError(description: "nothing computes the graph's output '\(output)'") }
        self.nodes = kept
        self.inputName = input
        self.outputName = output
        self.inputType = inputType
        self.opset = opset
        self.parameters = parameters.map { (name: $0.0, parameter: $0.1) }
        self.constants = constants
    }

    /// Runs the graph; a value that does not fit a node is an error naming the node.
    public func run(_ input: Tensor) throws -> Tensor {
        guard (input.dtype == .float32) == (inputType == .float32) else {
            throw ONNX.ImportError(description: "the graph takes \(inputType) input, got \(input.dtype)")
        }
        var values = constants
        for (name, p) in parameters { values[name] = p.value }
        values[inputName] = input
        let operators = ONNXOperators(opset: opset)
        for node in nodes {
            let outputs = try operators.evaluate(node, node.inputs.map { $0.isEmpty ? nil : values[$0] })
            for (name, value) in zip(node.outputs, outputs) where !name.isEmpty { values[name] = value }
        }
        guard let output = values[outputName] else { throw ONNX.ImportError(description: "the output '\(outputName)' was not computed") }
        return output
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        do { return try run(input) } catch { requirementFailure("ONNXGraph: \(error)") }
    }

    public var namedChildren: [(name: String, layer: any Layer)] { [] }
    public var namedDirectParameters: [(name: String, parameter: Parameter)] { parameters }

    public var description: String {
        var counts: [String: Int] = [:]
        for n in nodes { counts[n.op, default: 0] += 1 }
        return "ONNXGraph(\(nodes.count) nodes: \(counts.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: ", ")))"
    }
}

extension ONNXGraph: ConfigurableLayer {
    public static let typeName = "ONNXGraph"

    /// The nodes, the integer constants and the parameters' names and shapes (their values are
    /// the checkpoint's tensors).
    public var configuration: [String: any Sendable] {
        ["opset": opset, "input": inputName, "output": outputName, "inputType": inputType == .float32 ? "float32" : "int64",
         "nodes": nodes.map { n -> [String: any Sendable] in
             ["op": n.op, "name": n.name, "inputs": n.inputs, "outputs": n.outputs,
              "attributes": n.attributes.mapValues { Self.encode($0) } as [String: any Sendable]]
         },
         "parameters": parameters.map { ["name": $0.name, "shape": $0.parameter.shape.dimensions, "trainable": $0.parameter.isTrainable] as [String: any Sendable] },
         "constants": constants.sorted { $0.key < $1.key }.map { ["name": $0.key, "tensor": Self.encode(.tensor($0.value))] as [String: any Sendable] }]
    }

    public convenience init(configuration c: [String: any Sendable]) throws {
        let t = Self.typeName
        func bad(_ field: String, _ reason: String = "is not valid") -> LayerConfigurationError { .invalidField(type: t, field: field, reason: reason) }
        guard let input = c["input"] as? String, let output = c["output"] as? String, let type = c["inputType"] as? String,
              type == "float32" || type == "int64" else { throw bad("input") }
        let opset = try c.size("opset", of: t, minimum: 7, maximum: 23)
        guard let rawNodes = c["nodes"] as? [Any] else { throw LayerConfigurationError.missingField(type: t, field: "nodes") }
        let nodes = try rawNodes.map { raw -> ONNXFile.Node in
            guard let n = raw as? [String: Any], let op = n["op"] as? String, let name = n["name"] as? String,
                  let inputs = n["inputs"] as? [String], let outputs = n["outputs"] as? [String], !outputs.isEmpty,
                  let attributes = n["attributes"] as? [String: Any] else { throw bad("nodes") }
            return ONNXFile.Node(op: op, name: name, inputs: inputs, outputs: outputs,
                                 attributes: try attributes.mapValues { try Self.decode($0) ?? { throw bad("nodes", "has an attribute that is not valid") }() })
        }
        guard let rawParameters = c["parameters"] as? [Any], let rawConstants = c["constants"] as? [Any] else { throw bad("parameters") }
        // The shapes are checked against what the file holds before anything is allocated.
        let described = try rawParameters.map { raw -> (name: String, shape: [Int], trainable: Bool) in
            guard let p = raw as? [String: Any], let name = p["name"] as? String, let shape = p["shape"] as? [Any], shape.count <= 8 else {
                throw bad("parameters")
            }
            let dims = try shape.map { d -> Int in
                guard let v = Self.integer(d), (0...Int(Int32.max)).contains(v) else { throw bad("parameters") }
                return v
            }
            return (name, dims, (p["trainable"] as? Bool) ?? true)
        }
        try LayerRegistry.reserve(described.map(\.shape), of: t)
        let parameters = described.map { ($0.name, Parameter(Tensor.zeros(Shape($0.shape)), trainable: $0.trainable)) }
        var constants: [String: Tensor] = [:]
        for raw in rawConstants {
            guard let k = raw as? [String: Any], let name = k["name"] as? String, case .tensor(let value)? = try Self.decode(k["tensor"] as Any) else {
                throw bad("constants")
            }
            constants[name] = value
        }
        do {
            try self.init(nodes: nodes, input: input, output: output, inputType: type == "float32" ? .float32 : .int64, opset: opset,
                          parameters: parameters, constants: constants)
        } catch { throw bad("nodes", "do not form a graph: \(error)") }
    }

    private static func integer(_ v: Any) -> Int? {
        if let i = v as? Int { return i }
        if let d = v as? Double, d == d.rounded(), abs(d) < 9e18 { return Int(d) }
        return nil
    }

    private static func encode(_ a: ONNXFile.Attribute) -> [String: any Sendable] {
        switch a {
        case .int(let v): return ["int": v]
        case .float(let v): return ["float": json(v)]
        case .ints(let v): return ["ints": v]
        case .floats(let v): return ["floats": v.map(json)]
        case .string(let v): return ["string": v]
        case .strings(let v): return ["strings": v]
        case .tensor(let t):
            return ["shape": t.shape.dimensions] as [String: any Sendable]
                + (t.dtype == .float32 ? ["floats": t.scalars.map(json)] : ["integers": t.integers])
        }
    }

    /// A float as JSON can hold it: a number, or "inf", "-inf", "nan" (a mask's -inf).
    private static func json(_ v: Float) -> any Sendable {
        v.isFinite ? Double(v) : v.isNaN ? "nan" : v > 0 ? "inf" : "-inf"
    }

    private static func decode(_ raw: Any) throws -> ONNXFile.Attribute? {
        guard let d = raw as? [String: Any] else { return nil }
        func number(_ v: Any) -> Double? {
            if let s = v as? String { return ["inf": Double.infinity, "-inf": -Double.infinity, "nan": Double.nan][s] }
            return (v as? Double) ?? (v as? Int).map(Double.init)
        }
        if let v = d["int"].flatMap(integer) { return .int(v) }
        if let v = d["float"].flatMap(number) { return .float(Float(v)) }
        if let v = d["ints"] as? [Any] { let i = v.compactMap(integer); return i.count == v.count ? .ints(i) : nil }
        if let v = d["floats"] as? [Any], d["shape"] == nil { let f = v.compactMap(number); return f.count == v.count ? .floats(f.map(Float.init)) : nil }
        if let v = d["string"] as? String { return .string(v) }
        if let v = d["strings"] as? [String] { return .strings(v) }
        guard let shape = (d["shape"] as? [Any])?.compactMap(integer), shape.count <= 8, let count = ONNXOperators.elementCount(shape) else { return nil }
        if let v = d["integers"] as? [Any] {
            let i = v.compactMap(integer)
            return i.count == v.count && i.count == count ? .tensor(Tensor(integers: i, shape: Shape(shape))) : nil
        }
        guard let v = d["floats"] as? [Any] else { return nil }
        let f = v.compactMap(number)
        return f.count == v.count && f.count == count ? .tensor(Tensor(f.map(Float.init), shape: Shape(shape))) : nil
    }
}

private func + (a: [String: any Sendable], b: [String: any Sendable]) -> [String: any Sendable] { a.merging(b) { $1 } }

extension ONNXGraph: ShapeInferring {
    /// Found by running the graph once on zeros of that shape: a shape it cannot take is the
    /// error of the node that refuses it.
    public func outputShape(for input: [Int]) throws -> [Int] {
        guard input.allSatisfy({ $0 > 0 }), input.reduce(1.0, { $0 * Double($1) }) <= Double(1 << 28) else {
            throw ShapeError("\(description): input \(input) is empty or too large")
        }
        do { return try withoutGradients { try run(Tensor.zeros(Shape(input), dtype: inputType)) }.shape.dimensions } catch {
            throw ShapeError("\(description): input \(input): \(error)")
        }
    }
}
