import TensorCore

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
        require(!cells.isEmpty, "\(Self.self): needs at least one layer")
        self.cells = cells
        self.returnSequences = returnSequences
    }

    public var inputSize: Int { cells[0].inputSize }
    public var hiddenSize: Int { cells[0].hiddenSize }

    public func callAsFunction(_ input: Tensor) -> Tensor { run(input).output }

    /// Runs the sequences from `initialStates` (per layer; zeros when nil), stopping each one
    /// after `lengths[n]` steps when given.
    public func run(_ input: Tensor, initialStates: [[Tensor]]? = nil, lengths: [Int]? = nil) -> RecurrentOutput {
        require(input.rank == 3 && input.shape[2] == inputSize,
                     "\(Self.self)(\(inputSize) => \(hiddenSize)): input must be [N, T, \(inputSize)], got \(input.shape)")
        let (n, steps) = (input.shape[0], input.shape[1])
        require(initialStates == nil || initialStates!.count == cells.count,
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
        require(state.count == cell.stateCount && state.allSatisfy { $0.shape == [n, cell.hiddenSize] },
                     "\(Self.self): layer \(layer)'s initial state should be \(cell.stateCount) tensor(s) of shape [\(n), \(cell.hiddenSize)], got \(state.map(\.shape))")
        return state
    }

    /// Per step, `[N, 1]` with 1 where the step lies within the sequence's length.
    func stepMasks(_ lengths: [Int], batch: Int, steps: Int) -> [Tensor] {
        require(lengths.count == batch && lengths.allSatisfy { (1...steps).contains($0) },
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

extension Recurrent {
    /// The configuration shared by the recurrent layers.
    var recurrentConfiguration: [String: any Sendable] {
        ["inputSize": inputSize, "hiddenSize": hiddenSize, "layers": cells.count, "returnSequences": returnSequences]
    }

    /// `inputSize`, `hiddenSize`, `layers` and `returnSequences` read back from a configuration,
    /// with the cells' tensors (`gates` blocks each) reserved.
    static func recurrentFields(_ c: [String: any Sendable], gates: Int, of type: String) throws
        -> (inputSize: Int, hiddenSize: Int, layers: Int, returnSequences: Bool)
    {
        let (i, h, layers) = (try c.size("inputSize", of: type), try c.size("hiddenSize", of: type),
                              try c.size("layers", of: type, maximum: 1024))
        try LayerRegistry.reserve([[gates, h, i + h + 2], [layers - 1, gates, h, 2 * h + 2]], of: type)
        return (i, h, layers, (c["returnSequences"] as? Bool) ?? false)
    }
}

extension LSTM: ConfigurableLayer {
    public static let typeName = "LSTM"
    public var configuration: [String: any Sendable] { recurrentConfiguration }
    public convenience init(configuration c: [String: any Sendable]) throws {
        let f = try Self.recurrentFields(c, gates: 4, of: Self.typeName)
        self.init(f.inputSize, f.hiddenSize, layers: f.layers, returnSequences: f.returnSequences)
    }
}

extension GRU: ConfigurableLayer {
    public static let typeName = "GRU"
    public var configuration: [String: any Sendable] { recurrentConfiguration }
    public convenience init(configuration c: [String: any Sendable]) throws {
        let f = try Self.recurrentFields(c, gates: 3, of: Self.typeName)
        self.init(f.inputSize, f.hiddenSize, layers: f.layers, returnSequences: f.returnSequences)
    }
}

extension SimpleRNN: ConfigurableLayer {
    public static let typeName = "SimpleRNN"
    public var configuration: [String: any Sendable] {
        recurrentConfiguration.merging(["nonlinearity": (cells[0] as? SimpleRNNCell)?.nonlinearity == .relu ? "relu" : "tanh"]) { $1 }
    }
    public convenience init(configuration c: [String: any Sendable]) throws {
        let f = try Self.recurrentFields(c, gates: 1, of: Self.typeName)
        self.init(f.inputSize, f.hiddenSize, layers: f.layers, nonlinearity: (c["nonlinearity"] as? String) == "relu" ? .relu : .tanh,
                  returnSequences: f.returnSequences)
    }
}
