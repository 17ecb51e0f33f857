import TensorCore

/// An activation applied after a layer's affine map, as Keras's `activation=` argument names it.
public enum Activation: String, Sendable, CaseIterable {
    case linear, relu, sigmoid, tanh, softmax, gelu, elu, softplus

    /// The activation of `x`; `softmax` is over `softmaxAxis` (the last by default).
    public func callAsFunction(_ x: Tensor, softmaxAxis: Int = -1) -> Tensor {
        switch self {
        case .linear: return x
        case .relu: return TensorCore.relu(x)
        case .sigmoid: return TensorCore.sigmoid(x)
        case .tanh: return TensorCore.tanh(x)
        case .softmax: return TensorCore.softmax(x, along: softmaxAxis)
        case .gelu: return TensorCore.gelu(x)
        case .elu: return TensorCore.elu(x)
        case .softplus: return TensorCore.softplus(x)
        }
    }
}

/// Keras's `Dense`: `activation(x Wᵀ + b)` with `units` outputs, on the same machinery as
/// `Linear` (W stored `[units, in]`, PyTorch's layout). The input width may be left out: it is
/// taken from the first input the layer sees (Keras's build, PyTorch's lazy modules). The
/// parameters exist from the start (empty until built), so an optimizer made before the first
/// call updates them. Initialization is Keras's: Glorot-uniform weights, zero bias.
///
/// ```swift
/// let net = Sequential { Dense(64, activation: .relu, inputShape: [784]); Dense(10, activation: .softmax) }
/// ```
///
/// Shape: `[..., in] -> [..., units]`.
public final class Dense: Layer {
    public let units: Int
    public let activation: Activation
    /// `[units, inputFeatures]` once built, `[units, 0]` before.
    public let weight: Parameter
    /// `[units]`; nil without bias.
    public let bias: Parameter?
    /// The input width, once known.
    public private(set) var inputFeatures: Int?

    public init(_ units: Int, activation: Activation = .linear, useBias: Bool = true, inputFeatures: Int? = nil) {
        require(units > 0, "Dense: units must be positive, got \(units)")
        require(inputFeatures.map { $0 > 0 } ?? true, "Dense(\(units)): inputFeatures must be positive, got \(inputFeatures!)")
        self.units = units
        self.activation = activation
        weight = Parameter(Tensor.zeros([units, 0]))
        bias = useBias ? Parameter(Tensor.zeros([units])) : nil
        if let inputFeatures { build(inputFeatures) }
    }

    /// Keras's `input_shape`: the shape of one example, whose last axis is the input width.
    public convenience init(_ units: Int, activation: Activation = .linear, useBias: Bool = true, inputShape: [Int]) {
        require(!inputShape.isEmpty, "Dense(\(units)): inputShape must not be empty")
        self.init(units, activation: activation, useBias: useBias, inputFeatures: inputShape[inputShape.count - 1])
    }

    /// Creates the weights for inputs of `features` values (once).
    public func build(_ features: Int) {
        require(inputFeatures == nil || inputFeatures == features,
                "Dense(\(units)): built for \(inputFeatures ?? 0) input features, asked for \(features)")
        guard inputFeatures == nil else { return }
        inputFeatures = features
        weight.value = Initializer.glorotUniform().make([units, features])
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        require(input.rank >= 1, "Dense(\(units)): input must have rank >= 1, got \(input.shape)")
        build(input.shape[input.rank - 1])
        return activation(linear(input, weight: weight.value, bias: bias?.value))
    }

    public var description: String {
        "Dense(\(inputFeatures.map(String.init) ?? "?") => \(units)\(activation == .linear ? "" : ", \(activation.rawValue)"))"
    }
}

extension Activation {
    /// The activation a layer configuration names (`linear` when absent).
    init(configuration value: Any?, of type: String) throws {
        guard let value else { self = .linear; return }
        guard let name = value as? String, let activation = Activation(rawValue: name) else {
            throw LayerConfigurationError.invalidField(type: type, field: "activation",
                                                       reason: "must be one of \(Activation.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = activation
    }
}

extension Dense: ConfigurableLayer {
    public static let typeName = "Dense"
    public var configuration: [String: any Sendable] {
        var c: [String: any Sendable] = ["units": units, "activation": activation.rawValue, "useBias": bias != nil]
        if let inputFeatures { c["inputFeatures"] = inputFeatures }
        return c
    }
    public convenience init(configuration c: [String: any Sendable]) throws {
        let t = Self.typeName
        let units = try c.size("units", of: t)
        let features = c["inputFeatures"] == nil ? nil : try c.size("inputFeatures", of: t)
        guard c["activation"] != nil else { throw LayerConfigurationError.missingField(type: t, field: "activation") }
        let activation = try Activation(configuration: c["activation"], of: t)
        let useBias = (c["useBias"] as? Bool) ?? true
        try LayerRegistry.reserve([[units, features ?? 0], useBias ? [units] : [0]], of: t)
        self.init(units, activation: activation, useBias: useBias, inputFeatures: features)
    }
}

extension Dense: ShapeInferring {
    public func outputShape(for input: [Int]) throws -> [Int] {
        guard let last = input.last, inputFeatures.map({ $0 == last }) ?? true else {
            throw ShapeError("\(description): input of shape \(input) should end in \(inputFeatures ?? 0)")
        }
        return input.dropLast() + [units]
    }
}
