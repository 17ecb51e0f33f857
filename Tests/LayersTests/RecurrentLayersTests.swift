import Foundation
import Layers
import TensorCore
import TestSupport
import Testing

/// A tensor as the fixture scripts write it.
struct FixtureTensor: Decodable {
    let shape: [Int]
    let values: [Double]
    var tensor: Tensor { Tensor(values.map(Float.init), shape: Shape(shape)) }
}

/// One recurrent module run by PyTorch (Fixtures/make_recurrent_fixtures.py).
struct RecurrentFixture: Decodable {
    let weights: [String: FixtureTensor]
    let input, output, r, grad_input, h_n: FixtureTensor
    let grads: [String: FixtureTensor]
    let c_n, h0, c0: FixtureTensor?
    let lengths: [Int]?

    static let all: [String: RecurrentFixture] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/recurrent.json")
        return try! JSONDecoder().decode([String: RecurrentFixture].self, from: Data(contentsOf: url))
    }()

    /// PyTorch's `[layers * directions, N, H]` state split into one `[N, H]` tensor per layer.
    static func perLayer(_ t: FixtureTensor) -> [Tensor] {
        t.tensor.chunked(into: t.shape[0], along: 0).map { $0.squeezed(at: 0) }
    }
}

/// Loads the fixture's weights into `parameters` (PyTorch name -> ours), runs `body` on the
/// input, and checks the output, `sum(output * r)`'s gradients and whatever `body` checks.
func checkAgainstPyTorch(
    _ f: RecurrentFixture, parameters: [String: Parameter], _ body: (Tensor) -> Tensor
) {
    for (name, parameter) in parameters { parameter.value = f.weights[name]!.tensor }
    var x = f.input.tensor
    x.requiresGrad = true
    let y = body(x)
    expectClose(y, floats(f.output.values), atol: 1e-5, rtol: 1e-4)
    (y * f.r.tensor).sum().backward()
    expectClose(x.grad!, floats(f.grad_input.values), atol: 1e-5, rtol: 1e-4)
    for (name, parameter) in parameters {
        expectClose(parameter.grad!, floats(f.grads[name]!.values), atol: 1e-5, rtol: 1e-4)
    }
}

@Suite struct RecurrentLayerTests {
    @Test func stackedLSTMWithInitialStatesMatchesPyTorch() {
        let f = RecurrentFixture.all["lstm"]!
        let lstm = LSTM(3, 4, layers: 2, returnSequences: true)
        let h0 = RecurrentFixture.perLayer(f.h0!), c0 = RecurrentFixture.perLayer(f.c0!)
        var states: [[Tensor]] = []
        checkAgainstPyTorch(f, parameters: Dictionary(uniqueKeysWithValues: lstm.namedParameters)) { x in
            let result = lstm.run(x, initialStates: [[h0[0], c0[0]], [h0[1], c0[1]]])
            states = result.states
            return result.output
        }
        expectClose(Tensor.stack(states.map { $0[0] }), floats(f.h_n.values), atol: 1e-5)
        expectClose(Tensor.stack(states.map { $0[1] }), floats(f.c_n!.values), atol: 1e-5)
    }

    @Test func gruOverPaddedSequencesMatchesPackedPyTorch() {
        let f = RecurrentFixture.all["gru_packed"]!
        let gru = GRU(3, 4, returnSequences: true)
        var last: Tensor?
        checkAgainstPyTorch(f, parameters: Dictionary(uniqueKeysWithValues: gru.namedParameters)) { x in
            let result = gru.run(x, lengths: f.lengths)
            last = result.states[0][0]
            return result.output
        }
        expectClose(last!, floats(f.h_n.values), atol: 1e-5)
        // Without returnSequences the output is each sequence's last valid state.
        let lastOnly = GRU(3, 4)
        for (name, p) in lastOnly.namedParameters { p.value = f.weights[name]!.tensor }
        expectClose(lastOnly.run(f.input.tensor, lengths: f.lengths).output, floats(f.h_n.values), atol: 1e-5)
    }

    @Test func simpleRNNMatchesPyTorch() {
        let f = RecurrentFixture.all["rnn"]!
        let rnn = SimpleRNN(2, 3, returnSequences: true)
        checkAgainstPyTorch(f, parameters: Dictionary(uniqueKeysWithValues: rnn.namedParameters)) { rnn($0) }
        expectClose(rnn(f.input.tensor).sliced(along: 1, from: 3).squeezed(at: 1), floats(f.h_n.values), atol: 1e-5)
    }

    @Test func bidirectionalLSTMWithLengthsMatchesPyTorch() {
        let f = RecurrentFixture.all["bilstm_packed"]!
        let layer = Bidirectional { LSTM(3, 2, returnSequences: true) }
        var parameters: [String: Parameter] = [:]
        for (name, p) in layer.forward.namedParameters { parameters[name] = p }
        for (name, p) in layer.backward.namedParameters { parameters[name + "_reverse"] = p }
        var states: [[Tensor]] = []
        checkAgainstPyTorch(f, parameters: parameters) { x in
            let result = layer.run(x, lengths: f.lengths)
            states = result.states
            return result.output
        }
        expectClose(Tensor.stack([states[0][0], states[1][0]]), floats(f.h_n.values), atol: 1e-5)
        expectClose(Tensor.stack([states[0][1], states[1][1]]), floats(f.c_n!.values), atol: 1e-5)
    }

    /// Gradients through time against central differences, for the input, the initial state and
    /// every weight of each cell type.
    @Test("gradients through time match finite differences", arguments: ["rnn", "lstm", "gru"])
    func gradientsThroughTime(_ kind: String) {
        let layer: Recurrent = Random.withSeed(3) {
            switch kind {
            case "rnn": SimpleRNN(3, 4, layers: 2, returnSequences: true)
            case "lstm": LSTM(3, 4, layers: 2, returnSequences: true)
            default: GRU(3, 4, layers: 2, returnSequences: true)
            }
        }
        let parameters = layer.parameters
        let x = Random.withSeed(4) { Tensor.uniform([2, 4, 3], low: -1, high: 1) }
        let h0 = Random.withSeed(5) { Tensor.uniform([2, 4], low: -1, high: 1) }
        let stateCount = layer.cells[0].stateCount
        let result = gradcheck({ xs in
            for (p, value) in zip(parameters, xs.dropFirst(2)) { p.value = value }
            let initial = Array(repeating: Array(repeating: xs[1], count: stateCount), count: 2)
            return layer.run(xs[0], initialStates: initial, lengths: [4, 2]).output
        }, at: [x, h0] + parameters.map(\.value))
        #expect(result.passed, "\(kind): \(result)")
    }

    /// Without lengths an LSTM runs as one fused primitive; with full lengths, cell by cell. Both
    /// must give the same outputs, final states and gradients.
    @Test func fusedLSTMMatchesTheCellByCellRun() {
        // 40 rows of 64 hidden units over 6 steps: the fused recurrence splits the rows over the cores.
        let layer = Random.withSeed(6) { LSTM(5, 64, layers: 2, returnSequences: true) }
        let x = Random.withSeed(7) { Tensor.uniform([40, 6, 5], low: -1, high: 1) }
        let states = Random.withSeed(8) { (0..<2).map { _ in [Tensor.uniform([40, 64]), Tensor.uniform([40, 64])] } }
        let r = Random.withSeed(9) { Tensor.uniform([40, 6, 64]) }
        func run(fused: Bool) -> (output: Tensor, states: [Tensor], grads: [Tensor]) {
            for p in layer.parameters { p.grad = nil }
            let result = layer.run(x, initialStates: states, lengths: fused ? nil : Array(repeating: 6, count: 40))
            let finals = result.states.flatMap { $0 }
            (result.output * r + finals.map { $0.sum() }.reduce(Tensor(0), +)).sum().backward()
            return (result.output, finals, layer.parameters.map { $0.grad! })
        }
        let (fused, stepwise) = (run(fused: true), run(fused: false))
        expectClose(fused.output, stepwise.output.scalars, atol: 1e-5)
        // The weight gradients sum 240 (row, step) terms in different orders on the two paths;
        // a wrong rule would differ by O(1), not by rounding.
        for (a, b) in zip(fused.states + fused.grads, stepwise.states + stepwise.grads) { expectClose(a, b.scalars, atol: 1e-3, rtol: 1e-2) }
    }

    @Test func layersDescribeThemselvesAndNameParametersLikePyTorch() {
        #expect(LSTM(28, 128).description == "LSTM(28 => 128)")
        #expect(GRU(8, 16, layers: 2, returnSequences: true).description == "GRU(8 => 16, layers: 2, returnSequences: true)")
        #expect(Bidirectional { SimpleRNN(4, 5) }.description == "Bidirectional(SimpleRNN(4 => 5))")
        #expect(LSTMCell(3, 4).description == "LSTMCell(3 => 4)")
        #expect(LSTM(3, 4, layers: 2).namedParameters.map(\.name) == [
            "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
            "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"])
        #expect(LSTM(3, 4).namedParameters.map(\.parameter.shape) == [[16, 3], [16, 4], [16], [16]])
        #expect(Bidirectional { GRU(3, 4) }(Tensor.zeros([2, 5, 3])).shape == [2, 8])
        #expect(Bidirectional { GRU(3, 4, returnSequences: true) }(Tensor.zeros([2, 5, 3])).shape == [2, 5, 8])
    }

    @Test func recurrentLayersAndEmbeddingsRoundTripThroughTheRegistry() throws {
        let layers: [any Layer] = [LSTM(3, 4, layers: 2, returnSequences: true), GRU(5, 6), SimpleRNN(2, 3, nonlinearity: .relu),
                                   Embedding(10, 4, paddingIndex: 0)]
        for layer in layers {
            let rebuilt = try LayerRegistry.make(from: LayerRegistry.describe(layer))
            #expect(rebuilt.description == layer.description)
            #expect(rebuilt.namedParameters.map(\.name) == layer.namedParameters.map(\.name))
            #expect(rebuilt.namedParameters.map(\.parameter.shape) == layer.namedParameters.map(\.parameter.shape))
        }
        let relu = try LayerRegistry.make(from: LayerRegistry.describe(SimpleRNN(2, 3, nonlinearity: .relu))) as! SimpleRNN
        #expect((relu.cells[0] as! SimpleRNNCell).nonlinearity == .relu)
    }

    @Test func cellsStepLikeTheirLayers() {
        let cell = Random.withSeed(1) { LSTMCell(3, 4) }
        let layer = Random.withSeed(1) { LSTM(3, 4) }
        let x = Random.withSeed(2) { Tensor.uniform([2, 1, 3], low: -1, high: 1) }
        let state = cell(x.squeezed(at: 1), state: nil)
        expectClose(state[0], layer(x).scalars, atol: 1e-6)
        #expect(state[1].shape == [2, 4])
    }

    @Test func reversalInTimeKeepsPaddingInPlace() {
        let x = Tensor((0..<8).map(Float.init), shape: [2, 4, 1])
        #expect(reversedInTime(x, lengths: [4, 2]).scalars == [3, 2, 1, 0, 5, 4, 6, 7])
    }
}

@Suite struct EmbeddingTests {
    @Test func looksUpRowsAndPassesGradientsToThem() {
        let embedding = Embedding(5, 3)
        embedding.weight.value = Tensor((0..<15).map(Float.init), shape: [5, 3])
        let ids = Tensor(integers: [4, 0, 4, 2], shape: [2, 2])
        let y = embedding(ids)
        #expect(y.shape == [2, 2, 3])
        #expect(y.scalars == [12, 13, 14, 0, 1, 2, 12, 13, 14, 6, 7, 8])
        y.sum().backward()
        // Row 4 was used twice, rows 0 and 2 once, rows 1 and 3 never.
        #expect(embedding.weight.grad!.scalars == [1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 2, 2, 2])
    }

    @Test func paddingIndexStartsAtZeroAndGetsNoGradient() {
        let embedding = Random.withSeed(0) { Embedding(4, 2, paddingIndex: 0) }
        #expect(embedding.weight.value.scalars[0..<2] == [0, 0])
        // A stored padding row (weights from PyTorch) is returned as stored, as PyTorch does.
        embedding.weight.value = Tensor([5, 5, 1, 2, 3, 4, 5, 6], shape: [4, 2])
        let y = embedding(Tensor(integers: [0, 3, 0]))
        #expect(y.scalars == [5, 5, 5, 6, 5, 5])
        y.sum().backward()
        #expect(embedding.weight.grad!.scalars == [0, 0, 0, 0, 0, 0, 1, 1])
        #expect(embedding.description == "Embedding(4, 2, paddingIndex: 0)")
    }
}
