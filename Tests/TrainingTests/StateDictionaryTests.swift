import Foundation
import Interop
import Layers
import Optimizers
import TensorCore
import TestSupport
import Testing
import Training

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

/// PyTorch's `load_state_dict` from safetensors files PyTorch wrote
/// (`Fixtures/make_state_dict_fixtures.py`), and the pieces of fine-tuning.
@Suite struct StateDictionaryTests {
    func network() -> Sequential { Sequential { Linear(4, 8); BatchNorm(8); ReLU(); Linear(8, 3) } }

    @Test("a PyTorch state_dict loads and gives PyTorch's outputs", arguments: ["f32", "f16", "bf16"])
    func pytorchStateDictLoads(_ precision: String) throws {
        let path = "\(fixtures)/state_dict_\(precision).safetensors"
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(fixtures)/state_dict_outputs.json")))
            as! [String: [Double]]
        let net = network()
        // PyTorch's batch norm also counts its batches, which ours does not keep.
        #expect(throws: Checkpoint.MismatchError.self) { try Checkpoint.loadStateDictionary(path, into: net) }
        let report = try Checkpoint.loadStateDictionary(path, into: net, strict: false)
        #expect(report.unexpected == ["1.num_batches_tracked"] && report.missing.isEmpty && report.loaded.count == 8)
        net.eval()
        let x = Tensor(expected["input"]!.map(Float.init), shape: [5, 4])
        expectClose(net(x), expected[precision]!.map(Float.init), atol: 1e-5)
        // The same, naming the counter out instead.
        let renamed = try Checkpoint.loadStateDictionary(path, into: network()) { $0.hasSuffix("num_batches_tracked") ? nil : $0 }
        #expect(renamed.unexpected.isEmpty)
    }

    @Test func shapesThatDifferAreAnErrorAndChangeNothing() throws {
        let path = temporaryPath("other.safetensors")
        try SafeTensors.save(["0.weight": Tensor.zeros([8, 5]), "0.bias": Tensor.zeros([8])], to: path)
        let net = network()
        let before = net.parameters.map(\.value.scalars)
        #expect(throws: Checkpoint.MismatchError.self) { try Checkpoint.loadStateDictionary(path, into: net, strict: false) }
        #expect(net.parameters.map(\.value.scalars) == before)
        #expect(throws: Checkpoint.MismatchError.self) {
            try Checkpoint.loadStateDictionary(path, into: net, strict: false) { _ in "0.bias" }   // two tensors onto one name
        }
    }

    @Test func frozenParametersAndBuffersStayAndScalesSlowTheStep() {
        let net = Sequential { Linear(2, 2); BatchNorm(2) }
        let linear = net.layers[0] as! Linear, norm = net.layers[1] as! BatchNorm
        #expect(norm.running_mean.isBuffer && !norm.running_mean.isTrainable)
        net.setTrainable(false)
        net.setTrainable(true)
        #expect(!norm.running_var.isTrainable && linear.weight.isTrainable)   // buffers stay untrained
        let x = Tensor([[1, 2], [3, -1]])
        func step(_ optimizer: SGD) -> [Float] {
            let before = linear.weight.value.scalars
            optimizer.zeroGrad()
            net(x).sum().backward()
            optimizer.step()
            return zip(linear.weight.value.scalars, before).map { $0 - $1 }
        }
        let full = step(SGD(net.trainableParameters, learningRate: 0.1))
        linear.setLearningRateScale(0.5)
        let half = step(SGD(net.trainableParameters, learningRate: 0.1))
        expectClose(Tensor(half), full.map { $0 / 2 }, atol: 1e-6)
        linear.setTrainable(false)
        #expect(step(SGD(net.parameters, learningRate: 0.1)).allSatisfy { $0 == 0 })
    }
}
