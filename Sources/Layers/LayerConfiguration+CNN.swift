import TensorCore

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
        } else if let v = try? intList(value, count: 4) {
            self = .explicit(top: v[0], bottom: v[1], left: v[2], right: v[3])
        } else {
            throw LayerConfigurationError.missingField(type: type, field: "padding")
        }
    }
}

/// Integers from a JSON array (numbers may arrive as Double).
func intList(_ value: Any?, count: Int) throws -> [Int] {
    guard let items = value as? [Any] else { throw LayerConfigurationError.missingField(type: "list", field: "\(count) integers") }
    let ints = items.compactMap { ($0 as? Int) ?? ($0 as? Double).map { Int($0) } }
    guard ints.count == count else { throw LayerConfigurationError.missingField(type: "list", field: "\(count) integers") }
    return ints
}

func pair(_ c: [String: any Sendable], _ name: String, of type: String) throws -> (Int, Int) {
    do {
        let v = try intList(c[name], count: 2)
        return (v[0], v[1])
    } catch {
        throw LayerConfigurationError.missingField(type: type, field: name)
    }
}

extension Conv2D: ConfigurableLayer {
    public static let typeName = "Conv2D"
    public var configuration: [String: any Sendable] {
        ["inChannels": inChannels, "outChannels": outChannels, "kernelSize": [kernelSize.0, kernelSize.1],
         "stride": [stride.0, stride.1], "padding": padding.configuration, "dilation": [dilation.0, dilation.1],
         "groups": groups, "bias": bias != nil]
    }
    public convenience init(configuration c: [String: any Sendable]) throws {
        let t = Self.typeName
        self.init(try c.field("inChannels", of: t), try c.field("outChannels", of: t), kernelSize: try pair(c, "kernelSize", of: t),
                  stride: try pair(c, "stride", of: t), padding: try Padding(configuration: c["padding"], of: t),
                  dilation: try pair(c, "dilation", of: t), groups: try c.field("groups", of: t), bias: (c["bias"] as? Bool) ?? true)
    }
}

extension Conv1D: ConfigurableLayer {
    public static let typeName = "Conv1D"
    public var configuration: [String: any Sendable] {
        ["inChannels": inChannels, "outChannels": outChannels, "kernelSize": kernelSize, "stride": stride,
         "padding": padding.configuration, "dilation": dilation, "groups": groups, "bias": bias != nil]
    }
    public convenience init(configuration c: [String: any Sendable]) throws {
        let t = Self.typeName
        self.init(try c.field("inChannels", of: t), try c.field("outChannels", of: t), kernelSize: try c.field("kernelSize", of: t),
                  stride: try c.field("stride", of: t), padding: try Padding(configuration: c["padding"], of: t),
                  dilation: try c.field("dilation", of: t), groups: try c.field("groups", of: t), bias: (c["bias"] as? Bool) ?? true)
    }
}

extension MaxPool2D: ConfigurableLayer {
    public static let typeName = "MaxPool2D"
    public var configuration: [String: any Sendable] {
        ["kernelSize": [kernelSize.0, kernelSize.1], "stride": [stride.0, stride.1], "padding": padding.configuration]
    }
    public convenience init(configuration c: [String: any Sendable]) throws {
        self.init(kernelSize: try pair(c, "kernelSize", of: Self.typeName), stride: try pair(c, "stride", of: Self.typeName),
                  padding: try Padding(configuration: c["padding"], of: Self.typeName))
    }
}

extension AvgPool2D: ConfigurableLayer {
    public static let typeName = "AvgPool2D"
    public var configuration: [String: any Sendable] {
        ["kernelSize": [kernelSize.0, kernelSize.1], "stride": [stride.0, stride.1], "padding": padding.configuration]
    }
    public convenience init(configuration c: [String: any Sendable]) throws {
        self.init(kernelSize: try pair(c, "kernelSize", of: Self.typeName), stride: try pair(c, "stride", of: Self.typeName),
                  padding: try Padding(configuration: c["padding"], of: Self.typeName))
    }
}

extension MaxPool1D: ConfigurableLayer {
    public static let typeName = "MaxPool1D"
    public var configuration: [String: any Sendable] { ["kernelSize": kernelSize, "stride": stride] }
    public convenience init(configuration c: [String: any Sendable]) throws {
        self.init(try c.field("kernelSize", of: Self.typeName), stride: try c.field("stride", of: Self.typeName))
    }
}

extension AvgPool1D: ConfigurableLayer {
    public static let typeName = "AvgPool1D"
    public var configuration: [String: any Sendable] { ["kernelSize": kernelSize, "stride": stride] }
    public convenience init(configuration c: [String: any Sendable]) throws {
        self.init(try c.field("kernelSize", of: Self.typeName), stride: try c.field("stride", of: Self.typeName))
    }
}

extension GlobalPool: ConfigurableLayer {
    public static let typeName = "GlobalPool"
    public var configuration: [String: any Sendable] { ["kind": kind.rawValue] }
    public convenience init(configuration c: [String: any Sendable]) throws {
        guard let k = (c["kind"] as? String).flatMap(Kind.init(rawValue:)) else {
            throw LayerConfigurationError.missingField(type: Self.typeName, field: "kind")
        }
        self.init(k)
    }
}

extension AdaptiveAvgPool2D: ConfigurableLayer {
    public static let typeName = "AdaptiveAvgPool2D"
    public var configuration: [String: any Sendable] { ["outputSize": [outputSize.0, outputSize.1]] }
    public convenience init(configuration c: [String: any Sendable]) throws {
        self.init(outputSize: try pair(c, "outputSize", of: Self.typeName))
    }
}

extension Upsample: ConfigurableLayer {
    public static let typeName = "Upsample"
    public var configuration: [String: any Sendable] { ["scale": scale, "mode": mode.rawValue] }
    public convenience init(configuration c: [String: any Sendable]) throws {
        guard let m = (c["mode"] as? String).flatMap(Mode.init(rawValue:)) else {
            throw LayerConfigurationError.missingField(type: Self.typeName, field: "mode")
        }
        self.init(scale: try c.field("scale", of: Self.typeName), mode: m)
    }
}

extension BatchNorm: ConfigurableLayer {
    public static let typeName = "BatchNorm"
    public var configuration: [String: any Sendable] {
        ["features": features, "momentum": Double(momentum), "epsilon": Double(epsilon)]
    }
    public convenience init(configuration c: [String: any Sendable]) throws {
        self.init(try c.field("features", of: Self.typeName), momentum: try c.field("momentum", of: Self.typeName),
                  epsilon: try c.field("epsilon", of: Self.typeName))
    }
}

extension LayerNorm: ConfigurableLayer {
    public static let typeName = "LayerNorm"
    public var configuration: [String: any Sendable] { ["shape": normalizedShape.dimensions, "epsilon": Double(epsilon)] }
    public convenience init(configuration c: [String: any Sendable]) throws {
        guard let dims = (c["shape"] as? [Any])?.compactMap({ ($0 as? Int) ?? ($0 as? Double).map { Int($0) } }) else {
            throw LayerConfigurationError.missingField(type: Self.typeName, field: "shape")
        }
        self.init(Shape(dims), epsilon: try c.field("epsilon", of: Self.typeName))
    }
}

extension GroupNorm: ConfigurableLayer {
    public static let typeName = "GroupNorm"
    public var configuration: [String: any Sendable] { ["groups": groups, "channels": channels, "epsilon": Double(epsilon)] }
    public convenience init(configuration c: [String: any Sendable]) throws {
        self.init(groups: try c.field("groups", of: Self.typeName), channels: try c.field("channels", of: Self.typeName),
                  epsilon: try c.field("epsilon", of: Self.typeName))
    }
}

extension Dropout2D: ConfigurableLayer {
    public static let typeName = "Dropout2D"
    public var configuration: [String: any Sendable] { ["rate": Double(rate)] }
    public convenience init(configuration c: [String: any Sendable]) throws {
        self.init(rate: try c.field("rate", of: Self.typeName))
    }
}

extension ResidualBlock: ConfigurableLayer {
    public static let typeName = "ResidualBlock"
    public var configuration: [String: any Sendable] {
        ["inChannels": conv1.inChannels, "outChannels": conv1.outChannels, "stride": conv1.stride.0]
    }
    public convenience init(configuration c: [String: any Sendable]) throws {
        self.init(try c.field("inChannels", of: Self.typeName), try c.field("outChannels", of: Self.typeName),
                  stride: try c.field("stride", of: Self.typeName))
    }
}

extension ConvTranspose2D: ConfigurableLayer {
    public static let typeName = "ConvTranspose2D"
    public var configuration: [String: any Sendable] {
        ["inChannels": inChannels, "outChannels": outChannels, "kernelSize": [kernelSize.0, kernelSize.1],
         "stride": [stride.0, stride.1], "padding": [padding.0, padding.1], "outputPadding": [outputPadding.0, outputPadding.1],
         "dilation": [dilation.0, dilation.1], "groups": groups, "bias": bias != nil]
    }
    public convenience init(configuration c: [String: any Sendable]) throws {
        let t = Self.typeName
        self.init(try c.field("inChannels", of: t), try c.field("outChannels", of: t), kernelSize: try pair(c, "kernelSize", of: t),
                  stride: try pair(c, "stride", of: t), padding: try pair(c, "padding", of: t),
                  outputPadding: try pair(c, "outputPadding", of: t), dilation: try pair(c, "dilation", of: t),
                  groups: try c.field("groups", of: t), bias: (c["bias"] as? Bool) ?? true)
    }
}

extension Recurrent {
    /// The configuration shared by the recurrent layers.
    var recurrentConfiguration: [String: any Sendable] {
        ["inputSize": inputSize, "hiddenSize": hiddenSize, "layers": cells.count, "returnSequences": returnSequences]
    }

    /// `inputSize`, `hiddenSize`, `layers` and `returnSequences` read back from a configuration.
    static func recurrentFields(_ c: [String: any Sendable], of type: String) throws
        -> (inputSize: Int, hiddenSize: Int, layers: Int, returnSequences: Bool)
    {
        (try c.field("inputSize", of: type), try c.field("hiddenSize", of: type), try c.field("layers", of: type),
         (c["returnSequences"] as? Bool) ?? false)
    }
}

extension LSTM: ConfigurableLayer {
    public static let typeName = "LSTM"
    public var configuration: [String: any Sendable] { recurrentConfiguration }
    public convenience init(configuration c: [String: any Sendable]) throws {
        let f = try Self.recurrentFields(c, of: Self.typeName)
        self.init(f.inputSize, f.hiddenSize, layers: f.layers, returnSequences: f.returnSequences)
    }
}

extension GRU: ConfigurableLayer {
    public static let typeName = "GRU"
    public var configuration: [String: any Sendable] { recurrentConfiguration }
    public convenience init(configuration c: [String: any Sendable]) throws {
        let f = try Self.recurrentFields(c, of: Self.typeName)
        self.init(f.inputSize, f.hiddenSize, layers: f.layers, returnSequences: f.returnSequences)
    }
}

extension SimpleRNN: ConfigurableLayer {
    public static let typeName = "SimpleRNN"
    public var configuration: [String: any Sendable] {
        recurrentConfiguration.merging(["nonlinearity": (cells[0] as? SimpleRNNCell)?.nonlinearity == .relu ? "relu" : "tanh"]) { $1 }
    }
    public convenience init(configuration c: [String: any Sendable]) throws {
        let f = try Self.recurrentFields(c, of: Self.typeName)
        self.init(f.inputSize, f.hiddenSize, layers: f.layers, nonlinearity: (c["nonlinearity"] as? String) == "relu" ? .relu : .tanh,
                  returnSequences: f.returnSequences)
    }
}

extension Embedding: ConfigurableLayer {
    public static let typeName = "Embedding"
    public var configuration: [String: any Sendable] {
        var c: [String: any Sendable] = ["count": count, "dimension": dimension]
        if let paddingIndex { c["paddingIndex"] = paddingIndex }
        return c
    }
    public convenience init(configuration c: [String: any Sendable]) throws {
        let padding = (c["paddingIndex"] as? Int) ?? (c["paddingIndex"] as? Double).map { Int($0) }
        self.init(try c.field("count", of: Self.typeName), try c.field("dimension", of: Self.typeName), paddingIndex: padding)
    }
}
