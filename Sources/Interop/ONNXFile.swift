import Foundation
import TensorCore

/// An ONNX file read into memory: the main graph's nodes, its initializers as tensors, and its
/// input and output, as `onnx.proto` defines `ModelProto`. Everything is checked as it is read;
/// a file that is not ONNX, or uses what we do not read (external data, sparse initializers,
/// subgraphs, operator domains other than the default), is an `ONNX.ImportError` saying so.
public struct ONNXFile: Sendable {
    public enum Attribute: Sendable, Equatable {
        case int(Int), float(Float), ints([Int]), floats([Float]), string(String), strings([String]), tensor(Tensor)

        public static func == (a: Attribute, b: Attribute) -> Bool {
            switch (a, b) {
            case let (.int(x), .int(y)): return x == y
            case let (.float(x), .float(y)): return x == y
            case let (.ints(x), .ints(y)): return x == y
            case let (.floats(x), .floats(y)): return x == y
            case let (.string(x), .string(y)): return x == y
            case let (.strings(x), .strings(y)): return x == y
            case let (.tensor(x), .tensor(y)): return x.shape == y.shape && x.dtype == y.dtype && x.scalars == y.scalars
            default: return false
            }
        }
    }

    public struct Node: Sendable {
        public var op: String
        public var name: String
        public var inputs: [String]
        public var outputs: [String]
        public var attributes: [String: Attribute]
    }

    /// A graph input or output: its name, element type and dimensions (nil where symbolic).
    public struct ValueInfo: Sendable {
        public let name: String
        public let elementType: Int
        public let dimensions: [Int?]
    }

    public var opset: Int
    public var producer: String
    public var nodes: [Node]
    /// float32 tensors, and int64 ones for shapes and indices (other integer widths widened).
    public var initializers: [String: Tensor]
    /// The inputs that are not initializers.
    public var inputs: [ValueInfo]
    public var outputs: [ValueInfo]

    /// Reads the ONNX file at `path`.
    public static func load(_ path: String) throws -> ONNXFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ONNX.ImportError(description: "\(path): cannot read the file")
        }
        do { return try ONNXFile(bytes: [UInt8](data)) } catch let e as ONNX.ImportError {
            throw ONNX.ImportError(description: "\(path): \(e.description)")
        }
    }

    /// Reads the bytes of an ONNX file.
    public init(bytes: [UInt8]) throws {
        do { try self.init(parsing: bytes) } catch let e as ProtobufReader.Malformed {
            throw ONNX.ImportError(description: "not a valid ONNX file: \(e.description)")
        }
    }

    private init(parsing bytes: [UInt8]) throws {
        var opset: Int?, graph: ArraySlice<UInt8>?, producer = ""
        for f in try ProtobufReader.fields(bytes[...]) {
            switch f.number {
            case 2: producer = try f.string()
            case 7: graph = try f.bytes()
            case 8:
                var domain = "", version = 0
                for g in try ProtobufReader.fields(try f.bytes()) {
                    if g.number == 1 { domain = try g.string() }
                    if g.number == 2 { version = Int(try g.integer()) }
                }
                if domain == "" || domain == "ai.onnx" { opset = version }
            default: break
            }
        }
        guard let graph else { throw ONNX.ImportError(description: "no graph: not an ONNX model file") }
        guard let opset, (7...23).contains(opset) else {
            throw ONNX.ImportError(description: "the model imports opset \(opset.map(String.init) ?? "none") of the default domain; 7 to 23 are read")
        }
        self.opset = opset
        self.producer = producer
        (nodes, initializers, inputs, outputs) = ([], [:], [], [])
        var declaredInputs: [ValueInfo] = []
        for f in try ProtobufReader.fields(graph) {
            switch f.number {
            case 1: nodes.append(try Self.node(f.bytes()))
            case 5:
                let (name, t) = try Self.tensor(f.bytes())
                initializers[name] = t
            case 11: declaredInputs.append(try Self.valueInfo(f.bytes()))
            case 12: outputs.append(try Self.valueInfo(f.bytes()))
            case 15: throw ONNX.ImportError(description: "sparse initializers are not read")
            default: break
            }
        }
        // Before IR version 4 initializers were also listed as inputs.
        inputs = declaredInputs.filter { initializers[$0.name] == nil }
        guard !nodes.isEmpty, !inputs.isEmpty, !outputs.isEmpty else {
            throw ONNX.ImportError(description: "the graph has \(nodes.count) nodes, \(inputs.count) inputs and \(outputs.count) outputs; it needs at least one of each")
        }
    }

    private static func node(_ bytes: ArraySlice<UInt8>) throws -> Node {
        var n = Node(op: "", name: "", inputs: [], outputs: [], attributes: [:])
        var domain = ""
        for f in try ProtobufReader.fields(bytes) {
            switch f.number {
            case 1: n.inputs.append(try f.string())
            case 2: n.outputs.append(try f.string())
            case 3: n.name = try f.string()
            case 4: n.op = try f.string()
            case 7: domain = try f.string()
            case 5:
                let (name, value) = try attribute(f.bytes(), node: n.op)
                if let value { n.attributes[name] = value }
            default: break
            }
        }
        if n.name.isEmpty { n.name = n.outputs.first ?? n.op }
        guard !n.outputs.isEmpty, !n.outputs[0].isEmpty else {
            throw ONNX.ImportError(description: "node '\(n.name)' (\(n.op)) has no output")
        }
        guard domain.isEmpty || domain == "ai.onnx" else {
            throw ONNX.ImportError(description: "node '\(n.name)' is \(n.op) of the domain '\(domain)', which is not supported")
        }
        return n
    }

    private static func attribute(_ bytes: ArraySlice<UInt8>, node: String) throws -> (String, Attribute?) {
        var name = "", type = 0
        var f32: Float?, i64: Int?, s: String?, t: Tensor?
        var floats: [Float] = [], ints: [Int] = [], strings: [String] = []
        for f in try ProtobufReader.fields(bytes) {
            switch f.number {
            case 1: name = try f.string()
            case 2: f32 = try f.float()
            case 3: i64 = Int(try f.integer())
            case 4: s = try f.string()
            case 5: t = try tensor(f.bytes()).1
            case 6: throw ONNX.ImportError(description: "\(node) has a subgraph attribute, which is not supported")
            case 7: floats += try f.floats()
            case 8: ints += try f.integers().map { Int($0) }
            case 9: strings.append(try f.string())
            case 20: type = Int(try f.integer())
            default: break
            }
        }
        switch type {
        case 1: return (name, f32.map(Attribute.float))
        case 2: return (name, i64.map(Attribute.int))
        case 3: return (name, s.map(Attribute.string))
        case 4: return (name, t.map(Attribute.tensor))
        case 6: return (name, .floats(floats))
        case 7: return (name, .ints(ints))
        case 8: return (name, .strings(strings))
        default:
            // Files from before the type field: whichever value is there.
            if let i64 { return (name, .int(i64)) }
            if let f32 { return (name, .float(f32)) }
            if let s { return (name, .string(s)) }
            if let t { return (name, .tensor(t)) }
            return (name, ints.isEmpty ? (floats.isEmpty ? nil : .floats(floats)) : .ints(ints))
        }
    }

    /// A `TensorProto`: float types as float32, integer and boolean types as int64.
    static func tensor(_ bytes: ArraySlice<UInt8>) throws -> (String, Tensor) {
        var dims: [Int] = [], type = 0, name = ""
        var raw: ArraySlice<UInt8>?, floats: [Float] = [], integers: [Int64] = [], doubles: [Double] = []
        for f in try ProtobufReader.fields(bytes) {
            switch f.number {
            case 1: dims += try f.integers().map { Int($0) }
            case 2: type = Int(try f.integer())
            case 4: floats += try f.floats()
            case 5, 7, 11: integers += try f.integers()
            case 8: name = try f.string()
            case 9: raw = try f.bytes()
            case 10: doubles += try f.doubles()
            case 14: if try f.integer() == 1 { throw ONNX.ImportError(description: "tensor '\(name)' is stored outside the file (external data), which is not read") }
            default: break
            }
        }
        guard dims.allSatisfy({ $0 >= 0 && $0 <= 1 << 31 }), dims.count <= 8 else {
            throw ONNX.ImportError(description: "tensor '\(name)' has dimensions \(dims)")
        }
        let count = try dims.reduce(1) { p, d in
            let (q, overflow) = p.multipliedReportingOverflow(by: d)
            guard !overflow, q <= 1 << 31 else { throw ONNX.ImportError(description: "tensor '\(name)' of dimensions \(dims) is too large") }
            return q
        }
        let shape = Shape(dims)
        func checked<T>(_ values: [T]) throws -> [T] {
            guard values.count == count else {
                throw ONNX.ImportError(description: "tensor '\(name)' holds \(values.count) values for dimensions \(dims)")
            }
            return values
        }
        // Element widths and decoders for raw data, little-endian as ONNX stores it.
        func little(_ k: Int, _ width: Int) -> UInt64 {
            let start = raw!.startIndex + k * width
            return (0..<width).reduce(UInt64(0)) { $0 | UInt64(raw![start + $1]) << (8 * UInt64($1)) }
        }
        func rawValues(_ width: Int) throws -> [UInt64] {
            guard raw!.count == count * width else {
                throw ONNX.ImportError(description: "tensor '\(name)' has \(raw!.count) bytes of data for \(count) values of \(width) bytes")
            }
            return (0..<count).map { little($0, width) }
        }
        switch type {
        case 1:   // FLOAT
            let v = raw != nil ? try rawValues(4).map { Float(bitPattern: UInt32($0)) } : try checked(floats)
            return (name, Tensor(v, shape: shape))
        case 10, 16:   // FLOAT16, BFLOAT16 (raw, or widened in int32_data)
            let bits = raw != nil ? try rawValues(2).map { UInt16($0) } : try checked(integers).map { UInt16(truncatingIfNeeded: $0) }
            let v = bits.map { type == 16 ? Float(bitPattern: UInt32($0) << 16) : Float(Float16(bitPattern: $0)) }
            return (name, Tensor(v, shape: shape))
        case 11:   // DOUBLE
            let v = raw != nil ? try rawValues(8).map { Float(Double(bitPattern: $0)) } : try checked(doubles).map { Float($0) }
            return (name, Tensor(v, shape: shape))
        case 2, 3, 4, 5, 6, 7, 9, 12, 13:   // UINT8, INT8, UINT16, INT16, INT32, INT64, BOOL, UINT32, UINT64
            let widths = [2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 12: 4, 13: 8]
            let signed: Set = [3, 5, 6, 7]
            let v: [Int]
            if raw != nil {
                let width = widths[type]!
                v = try rawValues(width).map { u in
                    guard signed.contains(type), width < 8 else { return Int(truncatingIfNeeded: u) }
                    let shift = UInt64(64 - 8 * width)
                    return Int(Int64(bitPattern: u << shift) >> Int64(shift))
                }
            } else {
                v = try checked(integers).map { Int($0) }
            }
            return (name, Tensor(integers: v, shape: shape))
        default:
            throw ONNX.ImportError(description: "tensor '\(name)' has ONNX data type \(type), which is not read")
        }
    }

    private static func valueInfo(_ bytes: ArraySlice<UInt8>) throws -> ValueInfo {
        var name = "", elementType = 0, dims: [Int?] = []
        for f in try ProtobufReader.fields(bytes) {
            if f.number == 1 { name = try f.string() }
            guard f.number == 2 else { continue }
            for t in try ProtobufReader.fields(try f.bytes()) where t.number == 1 {
                for tensor in try ProtobufReader.fields(try t.bytes()) {
                    if tensor.number == 1 { elementType = Int(try tensor.integer()) }
                    guard tensor.number == 2 else { continue }
                    for d in try ProtobufReader.fields(try tensor.bytes()) where d.number == 1 {
                        var value: Int?
                        for v in try ProtobufReader.fields(try d.bytes()) where v.number == 1 { value = Int(try v.integer()) }
                        dims.append(value.flatMap { $0 > 0 ? $0 : nil })
                    }
                }
            }
        }
        return ValueInfo(name: name, elementType: elementType, dimensions: dims)
    }
}

extension ONNX {
    public struct ImportError: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }
}
