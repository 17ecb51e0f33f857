import Foundation
import Layers
import TensorCore
import Testing
@testable import Interop

/// A small network of each kind the exporter knows, with the shape and type of one example.
/// `.ci/run` also checks these files against onnxruntime (`DEEPLEARN_ONNX_FIXTURES`).
private func exportCases() -> [(name: String, network: any Layer, shape: [Int], type: DType)] {
    Random.seed(3)
    return [
        ("dense-activations", Sequential { Dense(5, activation: .elu, inputFeatures: 6); LeakyReLU(negativeSlope: 0.2); Linear(5, 4); Softmax() }, [6], .float32),
        ("conv1d-pool1d", Sequential { Conv1D(2, 3, kernelSize: 3, padding: .same); MaxPool1D(2); Conv1D(3, 2, kernelSize: 2); AvgPool1D(2); Flatten() },
         [2, 12], .float32),
        ("convtranspose-groupnorm", Sequential {
            Conv2D(2, 4, kernelSize: 3, stride: 2, padding: .explicit(top: 1, bottom: 1, left: 1, right: 1))
            GroupNorm(groups: 2, channels: 4)
            ConvTranspose2D(4, 3, kernelSize: (3, 3), stride: (2, 2), padding: (1, 1), outputPadding: (1, 1))
            GELU()
        }, [2, 8, 8], .float32),
        ("upsample-adaptive", Sequential { Upsample(scale: 2); Conv2D(1, 2, kernelSize: 3); Upsample(scale: 2, mode: .bilinear); AdaptiveAvgPool2D(outputSize: (3, 2)); Flatten() },
         [1, 5, 6], .float32),
        ("rnn-stacks", Sequential { SimpleRNN(3, 4, layers: 2, returnSequences: true); GRU(4, 5, returnSequences: true); LSTM(5, 3, layers: 2) },
         [6, 3], .float32),
        ("bidirectional", Sequential { Bidirectional { LSTM(3, 4, returnSequences: true) }; Bidirectional { GRU(8, 2, layers: 2) } }, [5, 3], .float32),
        ("attention", Sequential {
            Embedding(11, 8)
            SinusoidalPositionalEncoding(maxLength: 7, dim: 8)
            MultiHeadAttention(dim: 8, heads: 2)
            TransformerEncoderBlock(dim: 8, heads: 4, normFirst: false)
            LayerNorm([8])
        }, [7], .int64),
    ]
}

private func example(_ shape: [Int], _ type: DType, batch: Int) -> Tensor {
    let count = batch * shape.reduce(1, *)
    if type == .int64 { return Tensor(integers: (0..<count).map { ($0 * 7) % 11 }, shape: Shape([batch] + shape)) }
    return Tensor.uniform(Shape([batch] + shape), low: -1, high: 1)
}

@Suite struct ONNXExportTests {
    @Test func unsupportedLayersAndShapesAreErrorsNamingThem() throws {
        final class Mine: Layer {
            func callAsFunction(_ x: Tensor) -> Tensor { x }
            var description: String { "Mine()" }
        }
        do { _ = try ONNX.encode(Sequential { Linear(4, 3); Mine() }, inputShape: [4]); Issue.record("exported") } catch {
            #expect("\(error)".contains("Mine()"))
        }
        #expect(throws: ONNX.ExportError.self) { try ONNX.encode(Sequential { Linear(4, 3); LSTM(3, 2) }, inputShape: [4]) }
        #expect(throws: ONNX.ExportError.self) { try ONNX.encode(Linear(4, 3), inputShape: [5]) }
        #expect(throws: ONNX.ExportError.self) { try ONNX.encode(Linear(4, 3), inputShape: []) }
        #expect(throws: ONNX.ExportError.self) { try ONNX.encode(Embedding(5, 2), inputShape: [3]) }   // ids need .int64
        let bytes = try ONNX.encode(Sequential { Linear(4, 3); ReLU() }, inputShape: [4])
        #expect(Array(bytes.prefix(2)) == [0x08, 8])   // ir_version 8
    }

    /// Every exported network, read back and run node by node, gives the network's outputs: the
    /// writer and the reader agree. (onnxruntime agrees with both in `.ci/run`.)
    @Test func exportedNetworksImportAndComputeTheSame() throws {
        let fixtures = ProcessInfo.processInfo.environment["DEEPLEARN_ONNX_FIXTURES"]
        for (name, network, shape, type) in exportCases() {
            network.eval()
            let bytes = try ONNX.encode(network, inputShape: shape, inputType: type)
            let imported = try ONNX.importModel(try ONNXFile(bytes: bytes))
            #expect(imported.inputShape == shape && imported.inputType == (type == .float32 ? .float32 : .int64), "\(name)")
            let x = example(shape, type, batch: 3)
            let expected = withoutGradients { network(x) }, got = withoutGradients { imported.network(x) }
            #expect(got.shape == expected.shape, "\(name)")
            let difference = zip(got.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? .infinity
            #expect(difference <= 1e-5, "\(name): \(difference)")
            if let fixtures {
                try FileManager.default.createDirectory(atPath: fixtures, withIntermediateDirectories: true)
                try Data(bytes).write(to: URL(fileURLWithPath: "\(fixtures)/\(name).onnx"))
                try SafeTensors.save(["images": x, "outputs": expected], to: "\(fixtures)/\(name)-ref.safetensors")
            }
        }
    }
}

@Suite struct ONNXImportTests {
    /// A Gemm-Relu-Gemm chain becomes our layers and keeps its weights.
    @Test func chainsAreRebuiltAsLayers() throws {
        Random.seed(1)
        let mlp = Sequential { Linear(4, 8); ReLU(); Linear(8, 3) }
        let imported = try ONNX.importModel(try ONNXFile(bytes: try ONNX.encode(mlp, inputShape: [4])))
        let rebuilt = try #require(imported.network as? Sequential)
        #expect(rebuilt.layers.count == 3 && rebuilt.layers[1] is ReLU)
        #expect((rebuilt.layers[2] as? Linear)?.weight.value.scalars == (mlp.layers[2] as! Linear).weight.value.scalars)
    }

    /// A graph that is not a chain runs node by node, trains (its initializers are parameters)
    /// and survives a checkpoint's architecture description.
    @Test func graphsRunTrainAndDescribeThemselves() throws {
        Random.seed(2)
        let network = Sequential { Reshape([4, 3]); LSTM(3, 5); Linear(5, 2) }
        let imported = try ONNX.importModel(try ONNXFile(bytes: try ONNX.encode(network, inputShape: [12])))
        let graph = try #require(imported.network as? ONNXGraph)
        #expect(graph.namedParameters.contains { $0.parameter.isTrainable })
        let x = Tensor.uniform([2, 12])
        let loss = graph(x).squared().sum()
        loss.backward()
        #expect(graph.parameters.contains { ($0.parameter.grad?.scalars.contains { $0 != 0 }) ?? false })
        let copy = try graph.copied()
        #expect(withoutGradients { copy(x) }.scalars == withoutGradients { graph(x) }.scalars)
    }

    @Test func malformedFilesAreErrorsNotCrashes() throws {
        let bytes = try ONNX.encode(Sequential { Linear(4, 3); ReLU() }, inputShape: [4])
        // Every truncation, and bytes flipped at every 7th offset, is either read or refused.
        for end in stride(from: 0, to: bytes.count, by: 3) {
            #expect(throws: (any Error).self) { try ONNX.importModel(try ONNXFile(bytes: Array(bytes[..<end]))) }
        }
        for k in stride(from: 0, to: bytes.count, by: 7) {
            var corrupt = bytes
            corrupt[k] ^= 0xA5
            if let imported = try? ONNX.importModel(try ONNXFile(bytes: corrupt)) {
                _ = withoutGradients { imported.network(Tensor.zeros(Shape([1] + imported.inputShape), dtype: imported.inputType)) }
            }
        }
        #expect(throws: ONNX.ImportError.self) { try ONNXFile(bytes: Array("not a model".utf8)) }
    }

    @Test func unsupportedOperatorsAreNamedWithTheirNode() throws {
        var file = try ONNXFile(bytes: try ONNX.encode(Sequential { Linear(4, 3); ReLU() }, inputShape: [4]))
        file.nodes[1].op = "Celu"
        file.nodes[1].name = "my_celu"
        do { _ = try ONNX.importModel(file); Issue.record("imported") } catch {
            #expect("\(error)".contains("Celu") && "\(error)".contains("my_celu"))
        }
        // A node reading a value nothing produces.
        file.nodes[1].op = "Relu"
        file.nodes[1].inputs = ["nowhere"]
        #expect(throws: ONNX.ImportError.self) { try ONNX.importModel(file) }
    }

    @Test func protobufReaderChecksLengths() throws {
        #expect(throws: ProtobufReader.Malformed.self) { try ProtobufReader.fields([0x0A, 0x05, 0x41][...]) }   // 5 bytes claimed, 1 there
        #expect(throws: ProtobufReader.Malformed.self) { try ProtobufReader.fields([0x08, 0x80][...]) }          // varint cut off
        #expect(throws: ProtobufReader.Malformed.self) { try ProtobufReader.fields([0x0B][...]) }                 // wire type 3 (groups)
        let f = try ProtobufReader.fields([0x08, 0x96, 0x01, 0x12, 0x02, 0x68, 0x69][...])
        #expect(try f[0].integer() == 150 && f[1].string() == "hi")
    }
}

/// Graphs built to break the importer (the review's cases): each is an error naming its node,
/// never a stopped process or an allocation of everything.
@Suite struct ONNXHostileGraphTests {
    /// A file whose graph is `nodes` over the input `[N, 4]`, with `initializers`.
    private func graph(_ nodes: [ONNXFile.Node], _ initializers: [String: Tensor] = [:], output: String = "y") throws -> ONNXFile {
        var file = try ONNXFile(bytes: try ONNX.encode(Sequential { Linear(4, 3) }, inputShape: [4]))
        file.nodes = nodes
        file.initializers = initializers
        file.outputs = [ONNXFile.ValueInfo(name: output, elementType: 1, dimensions: [nil, 3])]
        return file
    }

    private func node(_ op: String, _ inputs: [String], _ outputs: [String] = ["y"], _ attributes: [String: ONNXFile.Attribute] = [:]) -> ONNXFile.Node {
        ONNXFile.Node(op: op, name: "n_\(op)", inputs: inputs, outputs: outputs, attributes: attributes)
    }

    private func expectRefused(_ file: ONNXFile, _ needle: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do { _ = try ONNX.importModel(file); Issue.record("imported", sourceLocation: sourceLocation) } catch {
            #expect("\(error)".contains(needle), "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func nodesWithoutOutputsAreRefusedWhenRead() throws {
        var bytes = ProtobufWriter()
        bytes.message(7) { g in
            g.message(1) { n in n.string(1, "input"); n.string(4, "Relu") }   // no output
            g.message(11) { $0.string(1, "input") }
            g.message(12) { $0.string(1, "y") }
        }
        bytes.message(8) { $0.varint(2, 17) }
        #expect(throws: ONNX.ImportError.self) { try ONNXFile(bytes: bytes.bytes) }
    }

    @Test func hugeShapesAreErrorsNotOverflowsOrAllocations() throws {
        let big = Tensor(integers: [1 << 32, 1 << 32, -1], shape: [3])
        try expectRefused(graph([node("Reshape", ["input", "s"])], ["s": big]), "not valid")
        let huge = Tensor(integers: [1 << 20, 1 << 20], shape: [2])
        try expectRefused(graph([node("ConstantOfShape", ["s"])], ["s": huge]), "not valid")
        try expectRefused(graph([node("Expand", ["input", "s"])], ["s": Tensor(integers: [1 << 32, 1 << 32], shape: [2])]), "does not expand")
        let image = [node("Reshape", ["input", "s"], ["x"])]
        let shape = ["s": Tensor(integers: [-1, 1, 2, 2], shape: [4])]
        let scales = Tensor([1, 1, Float.infinity, Float.infinity], shape: [4])
        try expectRefused(graph(image + [node("Resize", ["x", "", "scales"], ["y"])], shape.merging(["scales": scales]) { $1 }), "integer scales")
        let padded = node("MaxPool", ["x"], ["y"], ["kernel_shape": .ints([1, 1]), "pads": .ints([65536, 65536, 65536, 65536])])
        try expectRefused(graph(image + [padded], shape), "too large")
    }

    @Test func transposedConvolutionsCheckTheirOutputPadding() throws {
        let image = [node("Reshape", ["input", "s"], ["x"])]
        let tensors: [String: Tensor] = ["s": Tensor(integers: [-1, 1, 2, 2], shape: [4]), "w": Tensor.ones([1, 1, 1, 1])]
        let bad = node("ConvTranspose", ["x", "w"], ["y"], ["output_padding": .ints([5, 5])])
        try expectRefused(graph(image + [bad], tensors), "output_padding")
        let groups = node("ConvTranspose", ["x", "w"], ["y"], ["group": .int(1 << 62)])
        try expectRefused(graph(image + [groups], tensors), "group")
    }

    @Test func integerDivisionTruncatesAsOnnxruntimeDoes() throws {
        let c = ONNXOperators.Context(node: ONNXFile.Node(op: "Div", name: "d", inputs: ["a", "b"], outputs: ["y"], attributes: [:]),
                                      inputs: [Tensor(integers: [-7, 7], shape: [2]), Tensor(integers: [2, -2], shape: [2])])
        let y = try ONNXOperators(opset: 17).evaluate(c.node, c.inputs)[0]
        #expect(y.integers == [-3, -3])
    }

    @Test func graphsWithInfiniteConstantsSurviveTheirDescription() throws {
        // A mask of -inf, as dynamic attention masks are exported.
        let mask = ONNXFile.Attribute.tensor(Tensor([-Float.infinity], shape: [1]))
        let file = try graph([node("ConstantOfShape", ["s"], ["m"], ["value": mask]), node("Add", ["input", "m"], ["y"])],
                             ["s": Tensor(integers: [4], shape: [1])])
        let imported = try ONNX.importModel(file)
        let copy = try imported.network.copied()
        #expect(withoutGradients { copy(Tensor.ones([1, 4])) }.scalars == [Float](repeating: -.infinity, count: 4))
    }
}
