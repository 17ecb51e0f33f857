import Foundation
import Interop
import Layers
import TensorCore
import TestSupport
import Testing
import Training

/// The fixtures of `InteropTests/TorchImportTests` (made by
/// Tests/InteropTests/Fixtures/make_torch_onnx_fixtures.py), shared rather than copied.
private let torchFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("InteropTests/Fixtures").path

/// The state_dicts of the tiny PyTorch MLP, CNN with batch norm and LSTM classifier, loaded into
/// the same networks built from our layers, give PyTorch's eval-mode logits.
@Suite struct TorchStateDictionaryTests {
    static let cases: [(name: String, unexpected: [String], make: @Sendable () -> Sequential)] = [
        ("torch_mlp", [], { Sequential { Linear(12, 8); ReLU(); Linear(8, 4) } }),
        ("torch_cnn", ["2.num_batches_tracked", "7.num_batches_tracked"], {
            Sequential {
                Reshape([1, 6, 6])
                Conv2D(1, 2, kernelSize: 3, padding: .same, bias: false)
                BatchNorm(2)
                ReLU()
                MaxPool2D(2)
                Flatten()
                Linear(18, 6)
                BatchNorm(6)
                ReLU()
                Linear(6, 3)
            }
        }),
        // PyTorch's LSTM(batch_first) on the last step: ours returns the last step's state.
        ("torch_lstm", [], { Sequential { Reshape([4, 3]); LSTM(3, 5); Linear(5, 2) } }),
    ]

    @Test("a PyTorch state_dict loads into our layers and gives PyTorch's logits", arguments: cases.map(\.name))
    func pytorchStateDictLoads(_ name: String) throws {
        let c = Self.cases.first { $0.name == name }!
        let net = c.make()
        let report = try Checkpoint.loadStateDictionary("\(torchFixtures)/\(name).safetensors", into: net, strict: false)
        #expect(report.unexpected == c.unexpected && report.missing.isEmpty)
        #expect(report.loaded.sorted() == net.namedParameters.map(\.name).sorted())
        net.eval()
        let reference = try SafeTensors.load("\(torchFixtures)/\(name)_reference.safetensors").tensors
        let images = try #require(reference["images"]), logits = try #require(reference["logits"])
        expectClose(withoutGradients { net(images) }, logits, atol: 1e-5, rtol: 0)
    }
}
