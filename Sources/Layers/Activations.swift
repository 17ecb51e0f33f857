import TensorCore

/// `relu` as a layer. Shape: unchanged.
public final class ReLU: Layer {
    public init() {}
    public func callAsFunction(_ input: Tensor) -> Tensor { relu(input) }
    public var description: String { "ReLU()" }
}

/// `leakyRelu` as a layer. Shape: unchanged.
public final class LeakyReLU: Layer {
    public let negativeSlope: Float
    public init(negativeSlope: Float = 0.01) { self.negativeSlope = negativeSlope }
    public func callAsFunction(_ input: Tensor) -> Tensor { leakyRelu(input, negativeSlope: negativeSlope) }
    public var description: String { "LeakyReLU(negativeSlope: \(negativeSlope))" }
}

/// `elu` as a layer. Shape: unchanged.
public final class ELU: Layer {
    public let alpha: Float
    public init(alpha: Float = 1) { self.alpha = alpha }
    public func callAsFunction(_ input: Tensor) -> Tensor { elu(input, alpha: alpha) }
    public var description: String { "ELU(alpha: \(alpha))" }
}

/// `gelu` as a layer. Shape: unchanged.
public final class GELU: Layer {
    public let approximate: Bool
    public init(approximate: Bool = false) { self.approximate = approximate }
    public func callAsFunction(_ input: Tensor) -> Tensor { gelu(input, approximate: approximate) }
    public var description: String { approximate ? "GELU(approximate: tanh)" : "GELU()" }
}

/// `sigmoid` as a layer. Shape: unchanged.
public final class Sigmoid: Layer {
    public init() {}
    public func callAsFunction(_ input: Tensor) -> Tensor { sigmoid(input) }
    public var description: String { "Sigmoid()" }
}

/// `tanh` as a layer. Shape: unchanged.
public final class Tanh: Layer {
    public init() {}
    public func callAsFunction(_ input: Tensor) -> Tensor { tanh(input) }
    public var description: String { "Tanh()" }
}

/// `softmax` along `axis` as a layer. Shape: unchanged.
public final class Softmax: Layer {
    public let axis: Int
    public init(axis: Int = -1) { self.axis = axis }
    public func callAsFunction(_ input: Tensor) -> Tensor { softmax(input, along: axis) }
    public var description: String { "Softmax(axis: \(axis))" }
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
        self.init(axis: try c.size("axis", of: Self.typeName, minimum: -8, maximum: 7))
    }
}
