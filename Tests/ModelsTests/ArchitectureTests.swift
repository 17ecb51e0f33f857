import Foundation
import Generative
import Interop
import Layers
import Reinforcement
import Models
import TensorCore
import Testing
import Training

/// One small instance of every layer type in the package, with an input it takes.
/// Read-only after initialization (the closures only construct).
nonisolated(unsafe) private let everyLayer: [String: (make: () -> any Layer, input: Tensor)] = Random.withSeed(0) {
    let ids = Tensor(integers: [1, 2, 3, 4, 0, 5], shape: [2, 3])
    let image = Tensor.normal([2, 4, 6, 6]), sequence = Tensor.normal([2, 5, 8]), flat = Tensor.normal([2, 8])
    return [
        "Linear": ({ Linear(8, 3) }, flat),
        "Dense": ({ Dense(3, activation: .softmax, inputFeatures: 8) }, flat),
        "Normalization": ({ Normalization(adaptingTo: flat * 3 + 1) }, flat),
        "Parallel": ({ Parallel([Linear(8, 3), Sequential { Dense(4, activation: .relu, inputFeatures: 8); Dense(3, inputFeatures: 4) }], combine: .mean) }, flat),
        "Heads": ({ Heads(trunk: Linear(8, 5), heads: [("a", Linear(5, 2)), ("b", Dense(3, inputFeatures: 5))]) }, flat),
        "ReLU": ({ ReLU() }, flat), "LeakyReLU": ({ LeakyReLU(negativeSlope: 0.2) }, flat), "ELU": ({ ELU(alpha: 0.5) }, flat),
        "GELU": ({ GELU(approximate: true) }, flat), "Sigmoid": ({ Sigmoid() }, flat), "Tanh": ({ Tanh() }, flat),
        "Softmax": ({ Softmax(axis: 0) }, flat), "Dropout": ({ Dropout(rate: 0.3) }, flat), "Flatten": ({ Flatten() }, image),
        "Reshape": ({ Reshape([2, 4]) }, flat),
        "Sequential": ({ Sequential { Linear(8, 4); ReLU(); Linear(4, 2) } }, flat),
        "Conv2D": ({ Conv2D(4, 3, kernelSize: 3, stride: 2, padding: .same, groups: 1, bias: false) }, image),
        "Conv1D": ({ Conv1D(5, 2, kernelSize: 3, padding: .same, dilation: 2) }, sequence),
        "ConvTranspose2D": ({ ConvTranspose2D(4, 2, kernelSize: (3, 3), stride: (2, 2), padding: (1, 1), outputPadding: (1, 1)) }, image),
        "MaxPool2D": ({ MaxPool2D(kernelSize: (3, 3), stride: (2, 2), padding: .same) }, image),
        "AvgPool2D": ({ AvgPool2D(2) }, image), "MaxPool1D": ({ MaxPool1D(2) }, sequence),
        "AvgPool1D": ({ AvgPool1D(3, stride: 2) }, sequence), "GlobalPool": ({ GlobalPool(.max) }, image),
        "AdaptiveAvgPool2D": ({ AdaptiveAvgPool2D(outputSize: (2, 3)) }, image),
        "Upsample": ({ Upsample(scale: 2, mode: .bilinear) }, image),
        "BatchNorm": ({ BatchNorm(4, momentum: 0.2, epsilon: 1e-3) }, image),
        "LayerNorm": ({ LayerNorm([8], epsilon: 1e-4) }, sequence),
        "GroupNorm": ({ GroupNorm(groups: 2, channels: 4) }, image), "Dropout2D": ({ Dropout2D(rate: 0.2) }, image),
        "ResidualBlock": ({ ResidualBlock(4, 6, stride: 2) }, image),
        "SimpleRNNCell": ({ SimpleRNNCell(8, 3, nonlinearity: .relu) }, flat), "LSTMCell": ({ LSTMCell(8, 3) }, flat),
        "GRUCell": ({ GRUCell(8, 3) }, flat),
        "SimpleRNN": ({ SimpleRNN(8, 3, layers: 2, nonlinearity: .relu, returnSequences: true) }, sequence),
        "LSTM": ({ LSTM(8, 3, layers: 2) }, sequence), "GRU": ({ GRU(8, 3, returnSequences: true) }, sequence),
        "Bidirectional": ({ Bidirectional { GRU(8, 3, returnSequences: true) } }, sequence),
        "Embedding": ({ Embedding(6, 4, paddingIndex: 0) }, ids),
        "MultiHeadAttention": ({ MultiHeadAttention(dim: 8, heads: 2, dropout: 0.1) }, sequence),
        "AdditiveAttention": ({ AdditiveAttention(queryDim: 3, keyDim: 8, hidden: 5) }, sequence),
        "SinusoidalPositionalEncoding": ({ SinusoidalPositionalEncoding(maxLength: 7, dim: 8) }, sequence),
        "LearnedPositionalEncoding": ({ LearnedPositionalEncoding(maxLength: 7, dim: 8) }, sequence),
        "TransformerEncoderBlock": ({ TransformerEncoderBlock(dim: 8, heads: 2, feedForwardDim: 12, dropout: 0.1, normFirst: false) }, sequence),
        "TransformerDecoderBlock": ({ TransformerDecoderBlock(dim: 8, heads: 4, feedForwardDim: 16) }, sequence),
        "RecurrentLanguageModel": ({ RecurrentLanguageModel(vocabularySize: 6, embeddingDim: 4, hiddenSize: 5, layers: 2, dropout: 0.1) }, ids),
        "TransformerLanguageModel": ({ TransformerLanguageModel(vocabularySize: 6, context: 4, dim: 8, heads: 2, layers: 2, dropout: 0.1) }, ids),
        "AttentionSeq2Seq": ({ AttentionSeq2Seq(sourceVocabulary: 6, targetVocabulary: 5, embeddingDim: 3, hiddenSize: 4) }, ids),
        "DuelingHead": ({ DuelingHead(8, 3) }, flat),
        "SpectralNormalized": ({ SpectralNormalized(Conv2D(4, 3, kernelSize: 3, stride: 2, padding: .same)) }, image),
        // An imported graph that is not a chain of our layers: run node by node.
        "ONNXGraph": ({
            let network = Sequential { Reshape([2, 4]); LSTM(4, 3); Linear(3, 2) }
            return try! ONNX.importModel(ONNXFile(bytes: ONNX.encode(network, inputShape: [8]))).network
        }, flat),
    ]
}

/// Layer classes with no public initializer: bases that only their subclasses instantiate; and
/// the int8 layers, which are saved in their own format (`QuantizedCheckpoint`, round-tripped in
/// CompressionTests) because their weights are int8 tensors, not float32 parameters.
private let abstractLayers: Set<String> = ["Recurrent", "QuantizedLinear", "QuantizedConv2D"]

/// The names of the classes in Sources/ that are layers: those declared as conforming to
/// `Layer`, to a protocol that refines it, or inheriting from a layer class.
private func layerClassesInSources() throws -> Set<String> {
    let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Sources").standardized
    let files = FileManager.default.enumerator(atPath: sources.path)!.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
    let text = try files.map { try String(contentsOf: sources.appendingPathComponent($0), encoding: .utf8) }.joined(separator: "\n")
    let declaration = /(?m)^public (?:final )?(class|protocol) (\w+): (\w+)/
    var layers: Set<String> = ["Layer"], classes: Set<String> = []
    var grew = true
    while grew {  // protocols and classes that refine or subclass a layer type, to a fixed point
        grew = false
        for match in text.matches(of: declaration) where layers.contains(String(match.3)) {
            if layers.insert(String(match.2)).inserted { grew = true }
            if match.1 == "class" { classes.insert(String(match.2)) }
        }
    }
    return classes
}

@Suite struct ArchitectureTests {
    @Test func everyLayerClassInTheSourcesIsInTheList() throws {
        let found = try layerClassesInSources()
        #expect(found.count > 40)
        #expect(found.subtracting(abstractLayers) == Set(everyLayer.keys),
                "missing from the list: \(found.subtracting(abstractLayers).subtracting(everyLayer.keys).sorted()); not in Sources: \(Set(everyLayer.keys).subtracting(found).sorted())")
    }

    @Test("every built-in layer is rebuilt from a checkpoint alone", arguments: everyLayer.keys.sorted())
    func roundTripsThroughACheckpoint(_ name: String) throws {
        let (make, input) = everyLayer[name]!
        let layer = Random.withSeed(7) { make() }
        #expect(String(describing: type(of: layer)) == name)
        let path = temporaryPath("\(name).safetensors")
        try Checkpoint.save(layer, to: path)
        let (rebuilt, _) = try Checkpoint.loadModel(path)
        #expect(type(of: rebuilt) == type(of: layer))
        #expect(rebuilt.description == layer.description)
        let describe = { (l: any Layer) in
            try JSONSerialization.data(withJSONObject: try LayerRegistry.describe(l), options: [.sortedKeys])
        }
        #expect(try describe(rebuilt) == describe(layer))
        #expect(rebuilt.namedParameters.map(\.name) == layer.namedParameters.map(\.name))
        layer.eval()
        rebuilt.eval()
        #expect(withoutGradients { rebuilt(input).scalars == layer(input).scalars })
    }

    @Test func layersOfOtherModulesAreFoundOnlyUnderTheirRecordedName() throws {
        let model = TransformerLanguageModel(vocabularySize: 5, context: 4, dim: 8, heads: 2, layers: 1)
        var description = try LayerRegistry.describe(model)
        #expect(description["swiftType"] as? String == "Models.TransformerLanguageModel")
        #expect(try LayerRegistry.make(from: description) is TransformerLanguageModel)
        description["swiftType"] = "Models.RecurrentLanguageModel"   // a type whose typeName differs
        #expect(throws: LayerConfigurationError.unknownType("TransformerLanguageModel")) { try LayerRegistry.make(from: description) }
        description["swiftType"] = "Swift.Int"
        #expect(throws: LayerConfigurationError.unknownType("TransformerLanguageModel")) { try LayerRegistry.make(from: description) }
        // Built-in layers record no Swift name.
        #expect(try LayerRegistry.describe(Linear(2, 3))["swiftType"] == nil)
    }

    @Test func aLayerThatCannotDescribeItselfIsAnErrorWhenSaved() {
        final class Opaque: Layer {
            func callAsFunction(_ input: Tensor) -> Tensor { input }
            var description: String { "Opaque()" }
        }
        #expect(throws: LayerConfigurationError.notConfigurable("Opaque()")) {
            try Checkpoint.save(Sequential { Linear(2, 2); Opaque() }, to: temporaryPath("opaque.safetensors"))
        }
    }
}
