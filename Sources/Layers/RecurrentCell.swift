import TensorCore

// MARK: Cells

/// One step of a recurrence: from an input and a state to the next state.
///
/// A cell holds PyTorch's four tensors: `weightIH` `[gates * hidden, input]`, `weightHH`
/// `[gates * hidden, hidden]` and the biases `biasIH`, `biasHH` `[gates * hidden]`, all drawn from
/// U(-1/√hidden, 1/√hidden) as in PyTorch. The input's share of the gates, `x Wᵢₕᵀ + bᵢₕ`
/// (`projectInput`), does not depend on the state and can be computed ahead of `step`.
public protocol RecurrentCell: Layer {
    var inputSize: Int { get }
    var hiddenSize: Int { get }
    /// Tensors in the state: 1 (`[h]`) or 2 (`[h, c]` for an LSTM); each `[N, hidden]`.
    var stateCount: Int { get }
    var weightIH: Parameter { get }
    var weightHH: Parameter { get }
    var biasIH: Parameter { get }
    var biasHH: Parameter { get }

    /// The next state from the projected input `x Wᵢₕᵀ + bᵢₕ` (`[N, gates * hidden]`) and the
    /// state; element 0 of the result is the new `h`, the step's output.
    func step(projected: Tensor, state: [Tensor]) -> [Tensor]
}

extension RecurrentCell {
    /// `x Wᵢₕᵀ + bᵢₕ`. Shape: `[..., inputSize] -> [..., gates * hiddenSize]`.
    public func projectInput(_ x: Tensor) -> Tensor {
        require(x.rank >= 1 && x.shape[x.rank - 1] == inputSize,
                     "\(Self.self): input of shape \(x.shape) should end in \(inputSize)")
        return linear(x, weight: weightIH.value, bias: biasIH.value)
    }

    /// The zero state for a batch of `batch`.
    public func zeroState(batch: Int) -> [Tensor] {
        Array(repeating: Tensor.zeros([batch, hiddenSize]), count: stateCount)
    }

    /// One step from `state` (zeros when nil). Shape: input `[N, inputSize]`, each state tensor
    /// `[N, hiddenSize]`.
    public func callAsFunction(_ input: Tensor, state: [Tensor]?) -> [Tensor] {
        require(input.rank == 2, "\(Self.self): input must be [N, \(inputSize)], got \(input.shape)")
        let state = state ?? zeroState(batch: input.shape[0])
        require(state.count == stateCount && state.allSatisfy { $0.shape == [input.shape[0], hiddenSize] },
                     "\(Self.self): state should be \(stateCount) tensor(s) of shape [\(input.shape[0]), \(hiddenSize)], got \(state.map(\.shape))")
        return step(projected: projectInput(input), state: state)
    }

    /// One step from the zero state; the new `h`. Shape: `[N, inputSize] -> [N, hiddenSize]`.
    public func callAsFunction(_ input: Tensor) -> Tensor { self(input, state: nil)[0] }

    /// `h Wₕₕᵀ + bₕₕ`, the state's share of the gates.
    func projectHidden(_ h: Tensor) -> Tensor { linear(h, weight: weightHH.value, bias: biasHH.value) }

    public var description: String { "\(Self.self)(\(inputSize) => \(hiddenSize))" }
}

/// PyTorch's initialization of all four cell tensors: U(-1/√hidden, 1/√hidden).
private func cellParameters(gates: Int, _ inputSize: Int, _ hiddenSize: Int) -> (Parameter, Parameter, Parameter, Parameter) {
    require(inputSize > 0 && hiddenSize > 0, "recurrent cell: sizes must be positive, got \(inputSize) => \(hiddenSize)")
    let bound = 1 / Float(hiddenSize).squareRoot()
    let initializer = Initializer.uniform(low: -bound, high: bound)
    return (Parameter(initializer.make([gates * hiddenSize, inputSize])),
            Parameter(initializer.make([gates * hiddenSize, hiddenSize])),
            Parameter(initializer.make([gates * hiddenSize])),
            Parameter(initializer.make([gates * hiddenSize])))
}

/// The Elman cell: `h' = tanh(x Wᵢₕᵀ + bᵢₕ + h Wₕₕᵀ + bₕₕ)` (or ReLU), as PyTorch's `RNNCell`.
public final class SimpleRNNCell: RecurrentCell {
    public enum Nonlinearity: Sendable { case tanh, relu }
    public let inputSize: Int, hiddenSize: Int
    public let nonlinearity: Nonlinearity
    public let weightIH: Parameter, weightHH: Parameter, biasIH: Parameter, biasHH: Parameter
    public var stateCount: Int { 1 }

    public init(_ inputSize: Int, _ hiddenSize: Int, nonlinearity: Nonlinearity = .tanh) {
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.nonlinearity = nonlinearity
        (weightIH, weightHH, biasIH, biasHH) = cellParameters(gates: 1, inputSize, hiddenSize)
    }

    public func step(projected: Tensor, state: [Tensor]) -> [Tensor] {
        let z = projected + projectHidden(state[0])
        return [nonlinearity == .tanh ? tanh(z) : relu(z)]
    }
}

/// The LSTM cell of PyTorch's `LSTMCell`, gates in the order input, forget, cell, output:
/// `c' = σ(f) ⊙ c + σ(i) ⊙ tanh(g)`, `h' = σ(o) ⊙ tanh(c')`. State `[h, c]`.
public final class LSTMCell: RecurrentCell {
    public let inputSize: Int, hiddenSize: Int
    public let weightIH: Parameter, weightHH: Parameter, biasIH: Parameter, biasHH: Parameter
    public var stateCount: Int { 2 }

    public init(_ inputSize: Int, _ hiddenSize: Int) {
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        (weightIH, weightHH, biasIH, biasHH) = cellParameters(gates: 4, inputSize, hiddenSize)
    }

    public func step(projected: Tensor, state: [Tensor]) -> [Tensor] {
        let gates = (projected + projectHidden(state[0])).chunked(into: 4, along: 1)
        let c = sigmoid(gates[1]) * state[1] + sigmoid(gates[0]) * tanh(gates[2])
        return [sigmoid(gates[3]) * tanh(c), c]
    }
}

/// The GRU cell of PyTorch's `GRUCell`, gates in the order reset, update, new:
/// `n = tanh(xₙ + r ⊙ hₙ)` with `hₙ = h Wₕₙᵀ + bₕₙ`, `h' = (1 - z) ⊙ n + z ⊙ h`.
public final class GRUCell: RecurrentCell {
    public let inputSize: Int, hiddenSize: Int
    public let weightIH: Parameter, weightHH: Parameter, biasIH: Parameter, biasHH: Parameter
    public var stateCount: Int { 1 }

    public init(_ inputSize: Int, _ hiddenSize: Int) {
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        (weightIH, weightHH, biasIH, biasHH) = cellParameters(gates: 3, inputSize, hiddenSize)
    }

    public func step(projected: Tensor, state: [Tensor]) -> [Tensor] {
        let x = projected.chunked(into: 3, along: 1), h = projectHidden(state[0]).chunked(into: 3, along: 1)
        let r = sigmoid(x[0] + h[0]), z = sigmoid(x[1] + h[1])
        let n = tanh(x[2] + r * h[2])
        return [n + z * (state[0] - n)]
    }
}

extension SimpleRNNCell: ConfigurableLayer {
    public static let typeName = "SimpleRNNCell"
    public var configuration: [String: any Sendable] {
        ["inputSize": inputSize, "hiddenSize": hiddenSize, "nonlinearity": nonlinearity == .relu ? "relu" : "tanh"]
    }
    public convenience init(configuration c: [String: any Sendable]) throws {
        let (i, h) = try cellSizes(c, gates: 1, of: Self.typeName)
        self.init(i, h, nonlinearity: (c["nonlinearity"] as? String) == "relu" ? .relu : .tanh)
    }
}

/// `inputSize` and `hiddenSize` of a cell configuration, with the cell's four tensors reserved.
private func cellSizes(_ c: [String: any Sendable], gates: Int, of type: String) throws -> (Int, Int) {
    let (i, h) = (try c.size("inputSize", of: type), try c.size("hiddenSize", of: type))
    try LayerRegistry.reserve([[gates, h, i + h + 2]], of: type)
    return (i, h)
}

extension LSTMCell: ConfigurableLayer {
    public static let typeName = "LSTMCell"
    public var configuration: [String: any Sendable] { ["inputSize": inputSize, "hiddenSize": hiddenSize] }
    public convenience init(configuration c: [String: any Sendable]) throws {
        let (i, h) = try cellSizes(c, gates: 4, of: Self.typeName)
        self.init(i, h)
    }
}

extension GRUCell: ConfigurableLayer {
    public static let typeName = "GRUCell"
    public var configuration: [String: any Sendable] { ["inputSize": inputSize, "hiddenSize": hiddenSize] }
    public convenience init(configuration c: [String: any Sendable]) throws {
        let (i, h) = try cellSizes(c, gates: 3, of: Self.typeName)
        self.init(i, h)
    }
}
