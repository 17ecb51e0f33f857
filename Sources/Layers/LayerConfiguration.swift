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

    public var description: String {
        switch self {
        case .unknownType(let t): return "unknown layer type '\(t)' (register it with LayerRegistry.register)"
        case .missingField(let t, let f): return "\(t): missing or invalid field '\(f)'"
        case .notConfigurable(let d): return "layer \(d) does not conform to ConfigurableLayer and cannot be saved as architecture"
        }
    }
}

/// Maps architecture `type` names to layer types. The built-in layers are registered; add your
/// own with `register`.
public enum LayerRegistry {
    /// Metatypes are immutable; the lock guards the dictionary.
    private struct Table: @unchecked Sendable {
        var types: [String: any ConfigurableLayer.Type]
    }

    private static let table = Mutex(Table(types: Dictionary(uniqueKeysWithValues: ([
        Linear.self, ReLU.self, LeakyReLU.self, ELU.self, GELU.self, Sigmoid.self, Tanh.self, Softmax.self,
        Dropout.self, Flatten.self, Reshape.self, Sequential.self, Conv2D.self, Conv1D.self, MaxPool2D.self,
        AvgPool2D.self, MaxPool1D.self, AvgPool1D.self, GlobalPool.self, AdaptiveAvgPool2D.self, Upsample.self,
        BatchNorm.self, LayerNorm.self, GroupNorm.self, Dropout2D.self, ResidualBlock.self, ConvTranspose2D.self,
        LSTM.self, GRU.self, SimpleRNN.self, Embedding.self,
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
        d["type"] = type(of: c).typeName
        return d
    }

    /// Builds a layer from the output of `describe`.
    public static func make(from description: [String: any Sendable]) throws -> any Layer {
        guard let name = description["type"] as? String else {
            throw LayerConfigurationError.missingField(type: "layer", field: "type")
        }
        guard let type = table.withLock({ Table(types: $0.types) }).types[name] else {
            throw LayerConfigurationError.unknownType(name)
        }
        return try type.init(configuration: description)
    }
}

extension Dictionary where Key == String, Value == any Sendable {
    /// A required field of a layer configuration, accepting any JSON number type for numbers.
    func field<T>(_ name: String, of type: String, as _: T.Type = T.self) throws -> T {
        if T.self == Int.self, let v = self[name] as? Double, v == v.rounded() { return Int(v) as! T }
        if T.self == Float.self, let v = self[name] as? Double { return Float(v) as! T }
        if T.self == Float.self, let v = self[name] as? Int { return Float(v) as! T }
        guard let v = self[name] as? T else { throw LayerConfigurationError.missingField(type: type, field: name) }
        return v
    }
}

extension Linear: ConfigurableLayer {
    public static let typeName = "Linear"
    public var configuration: [String: any Sendable] {
        ["inFeatures": inFeatures, "outFeatures": outFeatures, "bias": bias != nil]
    }
    public convenience init(configuration c: [String: any Sendable]) throws {
        self.init(try c.field("inFeatures", of: Self.typeName), try c.field("outFeatures", of: Self.typeName),
                  bias: (c["bias"] as? Bool) ?? true)
    }
}

extension ReLU: ConfigurableLayer {
    public static let typeName = "ReLU"
    public var configuration: [String: any Sendable] { [:] }
    public convenience init(configuration: [String: any Sendable]) throws { self.init() }
}

extension Sigmoid: ConfigurableLayer {
    public static let typeName = "Sigmoid"
    public var configuration: [String: any Sendable] { [:] }
    public convenience init(configuration: [String: any Sendable]) throws { self.init() }
}

extension Tanh: ConfigurableLayer {
    public static let typeName = "Tanh"
    public var configuration: [String: any Sendable] { [:] }
    public convenience init(configuration: [String: any Sendable]) throws { self.init() }
}

extension Flatten: ConfigurableLayer {
    public static let typeName = "Flatten"
    public var configuration: [String: any Sendable] { [:] }
    public convenience init(configuration: [String: any Sendable]) throws { self.init() }
}

extension LeakyReLU: ConfigurableLayer {
    public static let typeName = "LeakyReLU"
    public var configuration: [String: any Sendable] { ["negativeSlope": Double(negativeSlope)] }
    public convenience init(configuration c: [String: any Sendable]) throws {
        self.init(negativeSlope: try c.field("negativeSlope", of: Self.typeName))
    }
}

extension ELU: ConfigurableLayer {
    public static let typeName = "ELU"
    public var configuration: [String: any Sendable] { ["alpha": Double(alpha)] }
    public convenience init(configuration c: [String: any Sendable]) throws {
        self.init(alpha: try c.field("alpha", of: Self.typeName))
    }
}

extension GELU: ConfigurableLayer {
    public static let typeName = "GELU"
    public var configuration: [String: any Sendable] { ["approximate": approximate] }
    public convenience init(configuration c: [String: any Sendable]) throws {
        self.init(approximate: (c["approximate"] as? Bool) ?? false)
    }
}

extension Softmax: ConfigurableLayer {
    public static let typeName = "Softmax"
    public var configuration: [String: any Sendable] { ["axis": axis] }
    public convenience init(configuration c: [String: any Sendable]) throws {
        self.init(axis: try c.field("axis", of: Self.typeName))
    }
}

extension Dropout: ConfigurableLayer {
    public static let typeName = "Dropout"
    public var configuration: [String: any Sendable] { ["rate": Double(rate)] }
    public convenience init(configuration c: [String: any Sendable]) throws {
        self.init(rate: try c.field("rate", of: Self.typeName))
    }
}

extension Reshape: ConfigurableLayer {
    public static let typeName = "Reshape"
    public var configuration: [String: any Sendable] { ["shape": shape.dimensions] }
    public convenience init(configuration c: [String: any Sendable]) throws {
        guard let dims = (c["shape"] as? [Any])?.compactMap({ ($0 as? Int) ?? ($0 as? Double).map { Int($0) } }) else {
            throw LayerConfigurationError.missingField(type: Self.typeName, field: "shape")
        }
        self.init(Shape(dims))
    }
}

extension Sequential: ConfigurableLayer {
    public static let typeName = "Sequential"
    public var configuration: [String: any Sendable] {
        get throws { ["layers": try layers.map { try LayerRegistry.describe($0) } as [any Sendable]] }
    }
    public convenience init(configuration c: [String: any Sendable]) throws {
        guard let items = c["layers"] as? [Any] else {
            throw LayerConfigurationError.missingField(type: Self.typeName, field: "layers")
        }
        self.init(try items.map { item in
            guard let d = item as? [String: Any] else {
                throw LayerConfigurationError.missingField(type: Self.typeName, field: "layers")
            }
            return try LayerRegistry.make(from: d.mapValues { $0 as! any Sendable })
        })
    }
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
