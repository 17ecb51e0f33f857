import Synchronization
import TensorCore

/// A layer that can describe its construction as JSON-compatible values and be rebuilt from
/// them: what lets a checkpoint carry its architecture.
public protocol ConfigurableLayer: Layer {
    /// The `type` written in architecture JSON.
    static var typeName: String { get }
    /// Constructor arguments as JSON-compatible values (numbers, strings, bools, arrays, objects).
    /// Throws when a sub-layer cannot be described.
    var configuration: [String: any Sendable] { get throws }
    /// Rebuilds the layer (with fresh weights) from `configuration`.
    init(configuration: [String: any Sendable]) throws
}

/// Problems rebuilding a layer from its description.
public enum LayerConfigurationError: Error, CustomStringConvertible, Equatable {
    case unknownType(String)
    case missingField(type: String, field: String)
    case notConfigurable(String)
    /// A field that is present but outside what the layer accepts.
    case invalidField(type: String, field: String, reason: String)
    /// An architecture whose layers would allocate more than the file holds.
    case tooLarge(type: String, elements: Int, budget: Int)

    public var description: String {
        switch self {
        case .invalidField(let t, let f, let r): return "\(t): field '\(f)' \(r)"
        case .tooLarge(let t, let e, let b):
            return "\(t): the architecture asks for \(e) parameter elements, more than the \(b) the file holds"
        case .unknownType(let t): return "unknown layer type '\(t)' (register it with LayerRegistry.register)"
        case .missingField(let t, let f): return "\(t): missing or invalid field '\(f)'"
        case .notConfigurable(let d): return "layer \(d) does not conform to ConfigurableLayer and cannot be saved as architecture"
        }
    }
}

/// Maps architecture `type` names to layer types.
///
/// The layers of this target are registered. A layer type from another module (the `Models`
/// target's networks, or your own) is found without registering it: `describe` records its
/// module-qualified Swift name (`"swiftType": "Models.TransformerLanguageModel"`, as Keras records
/// a class's module), and `make` looks that name up in the Swift runtime, accepting it only if it
/// is a `ConfigurableLayer` whose `typeName` is the recorded `type`. `register` still works and
/// takes precedence.
public enum LayerRegistry {
    /// Metatypes are immutable; the lock guards the dictionary.
    private struct Table: @unchecked Sendable {
        var types: [String: any ConfigurableLayer.Type]
    }

    private static let table = Mutex(Table(types: Dictionary(uniqueKeysWithValues: ([
        Linear.self, Dense.self, ReLU.self, LeakyReLU.self, ELU.self, GELU.self, Sigmoid.self, Tanh.self, Softmax.self,
        Dropout.self, Flatten.self, Reshape.self, Sequential.self, Conv2D.self, Conv1D.self, MaxPool2D.self,
        AvgPool2D.self, MaxPool1D.self, AvgPool1D.self, GlobalPool.self, AdaptiveAvgPool2D.self, Upsample.self,
        BatchNorm.self, LayerNorm.self, GroupNorm.self, Dropout2D.self, ResidualBlock.self, ConvTranspose2D.self,
        LSTM.self, GRU.self, SimpleRNN.self, Embedding.self, SimpleRNNCell.self, LSTMCell.self, GRUCell.self,
        Bidirectional.self, MultiHeadAttention.self, AdditiveAttention.self, SinusoidalPositionalEncoding.self,
        LearnedPositionalEncoding.self, TransformerEncoderBlock.self, TransformerDecoderBlock.self, Normalization.self, Parallel.self, Heads.self,
    ] as [any ConfigurableLayer.Type]).map { ($0.typeName, $0) })))

    public static func register(_ type: any ConfigurableLayer.Type) {
        let entry = Table(types: [type.typeName: type])
        table.withLock { $0.types.merge(entry.types) { $1 } }
    }

    /// `{"type": ..., <configuration>}` for `layer`.
    public static func describe(_ layer: any Layer) throws -> [String: any Sendable] {
        guard let c = layer as? any ConfigurableLayer else {
            throw LayerConfigurationError.notConfigurable(layer.description)
        }
        var d = try c.configuration
        let layerType = type(of: c)
        d["type"] = layerType.typeName
        if registeredType(layerType.typeName) == nil { d["swiftType"] = String(reflecting: layerType) }
        return d
    }

    private static func registeredType(_ name: String) -> (any ConfigurableLayer.Type)? {
        table.withLock { $0.types[name] }
    }

    /// The layer type a description's `swiftType` names, if it is one whose `typeName` is `name`.
    private static func runtimeType(_ description: [String: any Sendable], named name: String) -> (any ConfigurableLayer.Type)? {
        // Only dotted identifiers reach the runtime's name lookup.
        guard let swiftType = description["swiftType"] as? String, !swiftType.isEmpty,
              swiftType.utf8.allSatisfy({ $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || (0x30...0x39).contains($0)
                  || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }),
              let type = _typeByName(swiftType) as? any ConfigurableLayer.Type, type.typeName == name
        else { return nil }
        return type
    }

    /// Builds the sub-layer a configuration holds under `field` (a nested description, as
    /// `Sequential` and `Bidirectional` write them); throws `missingField` when it is not one.
    static func make(nested value: Any?, field: String, of type: String) throws -> any Layer {
        guard let d = value as? [String: any Sendable] else { throw LayerConfigurationError.missingField(type: type, field: field) }
        return try make(from: d)
    }

    /// How many parameter elements the layers being built may still allocate, when bounded.
    private final class Budget: @unchecked Sendable {
        var remaining: Int
        init(_ remaining: Int) { self.remaining = remaining }
    }
    @TaskLocal private static var budget: Budget?

    /// Builds a layer from `description` (read from a file) whose parameters may hold at most
    /// `maximumParameterElements` elements in all: each layer's configuration reserves its
    /// parameters' size before allocating them, so an architecture that asks for more than the
    /// file's own tensors hold throws `tooLarge` instead of allocating it.
    public static func make(from description: [String: any Sendable], maximumParameterElements: Int) throws -> any Layer {
        try $budget.withValue(Budget(maximumParameterElements)) { try make(from: description) }
    }

    /// Reserves the elements of parameters of `shapes` for a layer of `type` being rebuilt from a
    /// configuration; throws `tooLarge` when they exceed what the file holds or overflow. A no-op
    /// outside `make(from:maximumParameterElements:)`. Call it in `init(configuration:)` before
    /// building the layer with its parameters' shapes, or for a composite layer with a lower bound
    /// of the same order (its largest weights): what is built is then at most a small multiple of
    /// what the file holds, however its configuration lies.
    public static func reserve(_ shapes: [[Int]], of type: String) throws {
        var total = 0
        for shape in shapes {
            var count = 1
            for d in shape {
                let (p, overflow) = count.multipliedReportingOverflow(by: Swift.max(d, 0))
                guard !overflow else { throw LayerConfigurationError.tooLarge(type: type, elements: .max, budget: budget?.remaining ?? .max) }
                count = p
            }
            let (t, overflow) = total.addingReportingOverflow(count)
            guard !overflow else { throw LayerConfigurationError.tooLarge(type: type, elements: .max, budget: budget?.remaining ?? .max) }
            total = t
        }
        guard let budget else { return }
        guard total <= budget.remaining else {
            throw LayerConfigurationError.tooLarge(type: type, elements: total, budget: budget.remaining)
        }
        budget.remaining -= total
    }

    /// Builds a layer from the output of `describe`.
    public static func make(from description: [String: any Sendable]) throws -> any Layer {
        guard let name = description["type"] as? String else {
            throw LayerConfigurationError.missingField(type: "layer", field: "type")
        }
        guard let type = registeredType(name) ?? runtimeType(description, named: name) else {
            throw LayerConfigurationError.unknownType(name)
        }
        return try type.init(configuration: description)
    }
}

extension Dictionary where Key == String, Value == any Sendable {
    /// A required field of a layer configuration, accepting any JSON number type for numbers (a
    /// whole number for `Int`); throws `missingField` naming `type` and `name` otherwise.
    public func field<T>(_ name: String, of type: String, as _: T.Type = T.self) throws -> T {
        if T.self == Int.self, let v = self[name] as? Double, let i = Int(exactly: v) { return i as! T }
        if T.self == Float.self, let v = self[name] as? Double {
            guard v.isFinite, Float(v).isFinite else { throw LayerConfigurationError.invalidField(type: type, field: name, reason: "is not finite") }
            return Float(v) as! T
        }
        if T.self == Float.self, let v = self[name] as? Int { return Float(v) as! T }
        guard let v = self[name] as? T else { throw LayerConfigurationError.missingField(type: type, field: name) }
        return v
    }

    /// A size field: a whole number in `minimum...maximum` (the largest size a layer rebuilt
    /// from a file may have is 2^31 - 1; products are checked by `LayerRegistry.reserve`).
    public func size(_ name: String, of type: String, minimum: Int = 1, maximum: Int = Int(Int32.max)) throws -> Int {
        let v: Int = try field(name, of: type)
        guard (minimum...maximum).contains(v) else {
            throw LayerConfigurationError.invalidField(type: type, field: name, reason: "is \(v), not in \(minimum)...\(maximum)")
        }
        return v
    }

    /// A finite number field in `range`; `open` excludes the upper bound (a dropout rate is in [0, 1)).
    public func number(_ name: String, of type: String, in range: ClosedRange<Float>, openAbove: Bool = false) throws -> Float {
        let v: Float = try field(name, of: type)
        guard range.contains(v), !(openAbove && v == range.upperBound) else {
            throw LayerConfigurationError.invalidField(
                type: type, field: name, reason: "is \(v), not in [\(range.lowerBound), \(range.upperBound)\(openAbove ? ")" : "]")")
        }
        return v
    }
}

/// Throws `invalidField` for `field` of `type` unless `condition` holds: the relations between
/// fields that a layer's initializer requires (channels divisible by groups, ...).
func checkField(_ condition: Bool, _ type: String, _ field: String, _ reason: @autoclosure () -> String) throws {
    if !condition { throw LayerConfigurationError.invalidField(type: type, field: field, reason: reason()) }
}

extension Layer {
    /// An independent copy: the same architecture with its own parameters holding the same
    /// values (and trainable flags and mode). For target networks, EMA models, snapshots.
    /// Throws for layers that are not `ConfigurableLayer` (all built-in layers are).
    public func copied() throws -> any Layer {
        let copy = try LayerRegistry.make(from: LayerRegistry.describe(self))
        for ((_, mine), (_, theirs)) in zip(namedParameters, copy.namedParameters) {
            theirs.value = mine.value.detached()   // shares storage until either side writes
            theirs.isTrainable = mine.isTrainable
        }
        for (mine, theirs) in zip(allLayers, copy.allLayers) {
            if let m = mine as? any ModeDependentLayer, let t = theirs as? any ModeDependentLayer {
                t.isTraining = m.isTraining
            }
        }
        return copy
    }
}

extension Padding {
    /// `"valid"`, `"same"` or `[top, bottom, left, right]`.
    var configuration: any Sendable {
        switch self {
        case .valid: return "valid"
        case .same: return "same"
        case .explicit(let t, let b, let l, let r): return [t, b, l, r]
        }
    }

    init(configuration value: Any?, of type: String) throws {
        if let s = value as? String, s == "valid" || s == "same" {
            self = s == "valid" ? .valid : .same
        } else if let v = try? intList(value, count: 4), v.allSatisfy({ (0...Int(Int16.max)).contains($0) }) {
            self = .explicit(top: v[0], bottom: v[1], left: v[2], right: v[3])
        } else {
            throw LayerConfigurationError.missingField(type: type, field: "padding")
        }
    }
}

/// Integers from a JSON array (numbers may arrive as Double).
func intList(_ value: Any?, count: Int) throws -> [Int] {
    guard let items = value as? [Any] else { throw LayerConfigurationError.missingField(type: "list", field: "\(count) integers") }
    let ints = items.compactMap { ($0 as? Int) ?? ($0 as? Double).flatMap { Int(exactly: $0) } }
    guard ints.count == count else { throw LayerConfigurationError.missingField(type: "list", field: "\(count) integers") }
    return ints
}

/// Two integers in `minimum...2^31-1` from a JSON array field.
func pair(_ c: [String: any Sendable], _ name: String, of type: String, minimum: Int = 1) throws -> (Int, Int) {
    let v: [Int]
    do { v = try intList(c[name], count: 2) } catch { throw LayerConfigurationError.missingField(type: type, field: name) }
    try checkField(v.allSatisfy { (minimum...Int(Int32.max)).contains($0) }, type, name, "is \(v), not two numbers in \(minimum)...\(Int32.max)")
    return (v[0], v[1])
}

/// Dimensions from a JSON array field, each in `minimum...2^31-1` (and at most 8 of them).
func dimensions(_ c: [String: any Sendable], _ name: String, of type: String, minimum: Int = 1) throws -> [Int] {
    guard let items = c[name] as? [Any], items.count <= 8 else { throw LayerConfigurationError.missingField(type: type, field: name) }
    let dims = items.compactMap { ($0 as? Int) ?? ($0 as? Double).flatMap { Int(exactly: $0) } }
    try checkField(dims.count == items.count && dims.allSatisfy { (minimum...Int(Int32.max)).contains($0) }, type, name,
                   "is \(items), not whole numbers in \(minimum)...\(Int32.max)")
    return dims
}

