import Foundation
import Interop
import Layers
import TensorCore
import Testing

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

/// The index of each row's largest value of a `[N, C]` tensor.
private func argmaxRows(_ t: Tensor) -> [Int] {
    let classes = t.shape[1], s = t.scalars
    return (0..<t.shape[0]).map { row in (0..<classes).max { s[row * classes + $0] < s[row * classes + $1] }! }
}

/// Files `torch.onnx.export` wrote (`Fixtures/make_torch_onnx_fixtures.py`, the exporter settings
/// of Benchmarks/pytorch_interop.py) for tiny versions of its MLP, CNN with batch norm and LSTM:
/// imported, they give PyTorch's eval-mode logits.
@Suite struct TorchImportTests {
    /// Each fixture with what the import should build: our layers for the two chains, the graph
    /// run node by node for the LSTM (its export carries Shape/Gather/ConstantOfShape arithmetic
    /// for the initial state and slices out the last step).
    static let cases: [(name: String, features: Int, layers: [String]?)] = [
        ("torch_mlp", 12, ["Linear", "ReLU", "Linear"]),
        ("torch_cnn", 36, ["Reshape", "Conv2D", "BatchNorm", "ReLU", "MaxPool2D", "Flatten", "Linear", "BatchNorm", "ReLU", "Linear"]),
        ("torch_lstm", 12, nil),
        ("torch_bigru", 12, nil),   // two bidirectional GRU layers
    ]

    @Test("a PyTorch ONNX export imports and gives PyTorch's logits", arguments: cases.map(\.name))
    func pytorchExportImports(_ name: String) throws {
        let expected = Self.cases.first { $0.name == name }!
        let imported = try ONNX.importModel("\(fixtures)/\(name).onnx")
        #expect(imported.inputShape == [expected.features] && imported.inputType == .float32)
        if let layers = expected.layers {
            #expect(imported.rebuilt)
            let chain = try #require(imported.network as? Sequential, "\(imported.network)")
            #expect(chain.layers.map { "\(type(of: $0))" } == layers)
            // Rebuilt index for index, so its parameters carry the state_dict's names (all but
            // BatchNorm's num_batches_tracked counters, which we do not keep).
            let state = try SafeTensors.load("\(fixtures)/\(name).safetensors").tensors
            #expect(chain.namedParameters.map(\.name).sorted() == state.keys.filter { !$0.hasSuffix("num_batches_tracked") }.sorted())
        } else {
            #expect(!imported.rebuilt)
            #expect(imported.network is ONNXGraph, "\(imported.network)")
        }

        let reference = try SafeTensors.load("\(fixtures)/\(name)_reference.safetensors").tensors
        let images = try #require(reference["images"]), logits = try #require(reference["logits"])
        #expect(images.shape == [16, expected.features])
        // The import hands back an inference-mode network: no eval() here.
        let got = withoutGradients { imported.network(images) }
        try #require(got.shape == logits.shape, "\(got.shape) vs \(logits.shape)")
        let difference = zip(got.scalars, logits.scalars).map { abs($0 - $1) }.max() ?? .infinity
        #expect(difference <= 1e-5, "\(name): max |difference| \(difference)")
        #expect(argmaxRows(got) == argmaxRows(logits))
    }
}
