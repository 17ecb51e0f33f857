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
        precondition(x.rank >= 1 && x.shape[x.rank - 1] == inputSize,
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
        precondition(input.rank == 2, "\(Self.self): input must be [N, \(inputSize)], got \(input.shape)")
        let state = state ?? zeroState(batch: input.shape[0])
        precondition(state.count == stateCount && state.allSatisfy { $0.shape == [input.shape[0], hiddenSize] },
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
    precondition(inputSize > 0 && hiddenSize > 0, "recurrent cell: sizes must be positive, got \(inputSize) => \(hiddenSize)")
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

// MARK: Sequence layers

/// What a recurrent layer returns: its output and the final state of each stacked layer.
public struct RecurrentOutput {
    /// `[N, T, hidden]` with `returnSequences` (zeros past each sequence's length), else the
    /// last valid `h` of the top layer, `[N, hidden]`.
    public var output: Tensor
    /// Per stacked layer, bottom first: `[h]` or `[h, c]`, each `[N, hidden]`, taken at each
    /// sequence's last valid step.
    public var states: [[Tensor]]
}

/// Stacked recurrent layers over batch-first sequences, like PyTorch's `RNN`/`LSTM`/`GRU` with
/// `batch_first=True` and Keras' `return_sequences`; use `SimpleRNN`, `LSTM` or `GRU`.
///
/// Shape: `[N, T, inputSize] -> [N, T, hiddenSize]` with `returnSequences`, else `[N, hiddenSize]`.
///
/// Variable lengths: pass `lengths` (each in `1...T`, sequences padded at the end); a sequence's
/// state stops changing after its last step, as with PyTorch's packed sequences. Parameters are
/// named as in PyTorch's `state_dict` (`weight_ih_l0`, `bias_hh_l1`, ...).
public class Recurrent: Layer {
    public let cells: [any RecurrentCell]
    public let returnSequences: Bool

    init(cells: [any RecurrentCell], returnSequences: Bool) {
        precondition(!cells.isEmpty, "\(Self.self): needs at least one layer")
        self.cells = cells
        self.returnSequences = returnSequences
    }

    public var inputSize: Int { cells[0].inputSize }
    public var hiddenSize: Int { cells[0].hiddenSize }

    public func callAsFunction(_ input: Tensor) -> Tensor { run(input).output }

    /// Runs the sequences from `initialStates` (per layer; zeros when nil), stopping each one
    /// after `lengths[n]` steps when given.
    public func run(_ input: Tensor, initialStates: [[Tensor]]? = nil, lengths: [Int]? = nil) -> RecurrentOutput {
        precondition(input.rank == 3 && input.shape[2] == inputSize,
                     "\(Self.self)(\(inputSize) => \(hiddenSize)): input must be [N, T, \(inputSize)], got \(input.shape)")
        let (n, steps) = (input.shape[0], input.shape[1])
        precondition(initialStates == nil || initialStates!.count == cells.count,
                     "\(Self.self): \(cells.count) initial state(s) needed, one per layer, got \(initialStates!.count)")
        if lengths == nil, let lstmCells = cells as? [LSTMCell] {
            return runFused(lstmCells, input, initialStates: initialStates)
        }
        let masks = lengths.map { stepMasks($0, batch: n, steps: steps) }
        // Between layers the sequence stays a list of [N, features] steps: slicing one stacked
        // tensor per step would cost a gradient the size of the whole sequence per step.
        var sequence = (0..<steps).map { input.sliced(along: 1, from: $0, to: $0 + 1).squeezed(at: 1) }
        var finalStates: [[Tensor]] = []
        for (layer, cell) in cells.enumerated() {
            var state = initialState(initialStates, layer: layer, batch: n)
            let keepOutputs = layer < cells.count - 1 || returnSequences
            var outputs: [Tensor] = []
            for t in 0..<steps {
                var next = cell.step(projected: cell.projectInput(sequence[t]), state: state)
                if let masks {
                    // Past its length a sequence keeps its state and outputs zeros.
                    next = zip(next, state).map { new, old in old + masks[t] * (new - old) }
                    if keepOutputs { outputs.append(next[0] * masks[t]) }
                } else if keepOutputs {
                    outputs.append(next[0])
                }
                state = next
            }
            finalStates.append(state)
            sequence = outputs
        }
        return RecurrentOutput(output: returnSequences ? Tensor.stack(sequence, along: 1) : finalStates[cells.count - 1][0],
                               states: finalStates)
    }

    /// LSTM layers without lengths: each layer's input projected for all steps in one product,
    /// then the recurrence as one primitive (`lstmRecurrence`).
    private func runFused(_ cells: [LSTMCell], _ input: Tensor, initialStates: [[Tensor]]?) -> RecurrentOutput {
        let (n, steps) = (input.shape[0], input.shape[1])
        var sequence = input
        var finalStates: [[Tensor]] = []
        for (layer, cell) in cells.enumerated() {
            let h = cell.hiddenSize
            let state = initialState(initialStates, layer: layer, batch: n)
            // Both biases join before the product's one pass over [N, T, 4H].
            let projected = linear(sequence, weight: cell.weightIH.value, bias: cell.biasIH.value + cell.biasHH.value)
            let hc = lstmRecurrence(projected, weightHH: cell.weightHH.value, h0: state[0], c0: state[1])
            let last = hc.sliced(along: 1, from: steps - 1).squeezed(at: 1)
            finalStates.append([last.sliced(along: 1, from: 0, to: h), last.sliced(along: 1, from: h, to: 2 * h)])
            sequence = hc.sliced(along: 2, from: 0, to: h)
        }
        return RecurrentOutput(output: returnSequences ? sequence : finalStates[cells.count - 1][0], states: finalStates)
    }

    /// Layer `layer`'s initial state: the one given, checked against the cell, or zeros.
    private func initialState(_ initialStates: [[Tensor]]?, layer: Int, batch n: Int) -> [Tensor] {
        let cell = cells[layer]
        let state = initialStates?[layer] ?? cell.zeroState(batch: n)
        precondition(state.count == cell.stateCount && state.allSatisfy { $0.shape == [n, cell.hiddenSize] },
                     "\(Self.self): layer \(layer)'s initial state should be \(cell.stateCount) tensor(s) of shape [\(n), \(cell.hiddenSize)], got \(state.map(\.shape))")
        return state
    }

    /// Per step, `[N, 1]` with 1 where the step lies within the sequence's length.
    func stepMasks(_ lengths: [Int], batch: Int, steps: Int) -> [Tensor] {
        precondition(lengths.count == batch && lengths.allSatisfy { (1...steps).contains($0) },
                     "\(Self.self): lengths must be \(batch) values in 1...\(steps), got \(lengths)")
        return (0..<steps).map { t in Tensor(lengths.map { t < $0 ? 1 : 0 }, shape: [batch, 1]) }
    }

    public var namedChildren: [(name: String, layer: any Layer)] { [] }

    public var namedDirectParameters: [(name: String, parameter: Parameter)] {
        cells.enumerated().flatMap { k, cell in
            [("weight_ih_l\(k)", cell.weightIH), ("weight_hh_l\(k)", cell.weightHH),
             ("bias_ih_l\(k)", cell.biasIH), ("bias_hh_l\(k)", cell.biasHH)]
        }
    }

    public var description: String {
        "\(Self.self)(\(inputSize) => \(hiddenSize)\(cells.count > 1 ? ", layers: \(cells.count)" : "")"
            + "\(returnSequences ? ", returnSequences: true" : ""))"
    }
}

/// Stacked Elman RNN layers (PyTorch's `RNN`). See `Recurrent`.
public final class SimpleRNN: Recurrent {
    public init(_ inputSize: Int, _ hiddenSize: Int, layers: Int = 1, nonlinearity: SimpleRNNCell.Nonlinearity = .tanh,
                returnSequences: Bool = false) {
        super.init(cells: (0..<layers).map { SimpleRNNCell($0 == 0 ? inputSize : hiddenSize, hiddenSize, nonlinearity: nonlinearity) },
                   returnSequences: returnSequences)
    }
}

/// Stacked LSTM layers (PyTorch's `LSTM`). See `Recurrent`.
public final class LSTM: Recurrent {
    public init(_ inputSize: Int, _ hiddenSize: Int, layers: Int = 1, returnSequences: Bool = false) {
        super.init(cells: (0..<layers).map { LSTMCell($0 == 0 ? inputSize : hiddenSize, hiddenSize) },
                   returnSequences: returnSequences)
    }
}

/// Stacked GRU layers (PyTorch's `GRU`). See `Recurrent`.
public final class GRU: Recurrent {
    public init(_ inputSize: Int, _ hiddenSize: Int, layers: Int = 1, returnSequences: Bool = false) {
        super.init(cells: (0..<layers).map { GRUCell($0 == 0 ? inputSize : hiddenSize, hiddenSize) },
                   returnSequences: returnSequences)
    }
}

/// Runs one recurrent layer forward in time and another over the reversed sequences (each
/// reversed within its own length), and concatenates their outputs, like Keras' `Bidirectional`
/// and PyTorch's `bidirectional=True`.
///
/// Shape: `[N, T, input] -> [N, T, 2 * hidden]` with `returnSequences`, else `[N, 2 * hidden]`
/// (the forward direction's last state beside the backward direction's, which has read the
/// whole sequence from the end).
public final class Bidirectional: Layer {
    public let forward: Recurrent, backward: Recurrent

    public init(forward: Recurrent, backward: Recurrent) {
        precondition(forward.inputSize == backward.inputSize && forward.returnSequences == backward.returnSequences,
                     "Bidirectional: the two directions must take the same input and both return sequences or not")
        self.forward = forward
        self.backward = backward
    }

    /// Two independently initialized copies of the layer `make` builds.
    public convenience init(_ make: () -> Recurrent) {
        self.init(forward: make(), backward: make())
    }

    public func callAsFunction(_ input: Tensor) -> Tensor { run(input).output }

    /// Both directions; `states` holds the forward direction's layers, then the backward's.
    public func run(_ input: Tensor, lengths: [Int]? = nil) -> RecurrentOutput {
        precondition(input.rank == 3, "Bidirectional: input must be [N, T, features], got \(input.shape)")
        let ahead = forward.run(input, lengths: lengths)
        let behind = backward.run(reversedInTime(input, lengths: lengths), lengths: lengths)
        let backwardOutput = backward.returnSequences ? reversedInTime(behind.output, lengths: lengths) : behind.output
        return RecurrentOutput(output: Tensor.concat([ahead.output, backwardOutput], along: -1),
                               states: ahead.states + behind.states)
    }

    public var description: String { "Bidirectional(\(forward))" }
}

/// `x[n, t]` moved to `x[n, lengths[n] - 1 - t]` for `t < lengths[n]`; padding steps stay put.
///
/// Shape: `[N, T, F] -> [N, T, F]`.
public func reversedInTime(_ x: Tensor, lengths: [Int]? = nil) -> Tensor {
    let (n, steps, features) = (x.shape[0], x.shape[1], x.shape[2])
    let lengths = lengths ?? Array(repeating: steps, count: n)
    var index = [Int](repeating: 0, count: n * steps * features)
    for b in 0..<n {
        for t in 0..<steps {
            let source = t < lengths[b] ? lengths[b] - 1 - t : t
            for f in 0..<features { index[(b * steps + t) * features + f] = source }
        }
    }
    return x.gathering(along: 1, indices: Tensor(integers: index, shape: x.shape))
}

// MARK: Embedding

/// A lookup table of `count` learned vectors of `dimension` values (PyTorch's `Embedding`),
/// initialized from N(0, 1). With `paddingIndex`, that row starts at zero and ids equal to it
/// embed to zeros that pass no gradient.
///
/// Shape: integer ids `[...]` -> `[..., dimension]`.
public final class Embedding: Layer {
    public let count: Int, dimension: Int
    public let paddingIndex: Int?
    /// Shape: `[count, dimension]`.
    public let weight: Parameter

    public init(_ count: Int, _ dimension: Int, paddingIndex: Int? = nil) {
        precondition(count > 0 && dimension > 0, "Embedding: sizes must be positive, got \(count) x \(dimension)")
        precondition(paddingIndex.map { (0..<count).contains($0) } ?? true,
                     "Embedding: paddingIndex \(paddingIndex!) outside 0..<\(count)")
        self.count = count
        self.dimension = dimension
        self.paddingIndex = paddingIndex
        var table = Initializer.normal(std: 1).make([count, dimension])
        if let paddingIndex {
            table = table * Tensor((0..<count).map { $0 == paddingIndex ? 0 : 1 }, shape: [count, 1])
        }
        weight = Parameter(table)
    }

    public func callAsFunction(_ ids: Tensor) -> Tensor {
        precondition(ids.dtype != .float32, "Embedding: ids must be integers, got a float tensor of shape \(ids.shape)")
        let flat = ids.reshaped(to: [ids.scalarCount])
        var rows = weight.value.selecting(along: 0, indices: flat)
        if let paddingIndex {
            let keep = flat.integers.map { $0 == paddingIndex ? Float(0) : 1 }
            rows = rows * Tensor(keep, shape: [ids.scalarCount, 1])
        }
        return rows.reshaped(to: Shape(ids.shape.dimensions + [dimension]))
    }

    public var description: String {
        "Embedding(\(count), \(dimension)\(paddingIndex.map { ", paddingIndex: \($0)" } ?? ""))"
    }
}
