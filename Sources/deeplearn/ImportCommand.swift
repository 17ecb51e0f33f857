import ArgumentParser
import DeepLearning
import Foundation

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Read an ONNX model (from torch.onnx.export, or our export) into a checkpoint.",
        discussion: """
            The graph becomes our layers where it is a chain of them, else it runs node by node; the checkpoint \
            then works with evaluate, predict, export and train --resume-like fine-tuning. A model of 784 inputs \
            is scored on the Fashion-MNIST test set. --reference compares the outputs with a safetensors file \
            of 'images' and 'logits' (or 'outputs'), such as Benchmarks/pytorch_interop.py writes.
            """)

    @Argument(help: "The ONNX file.") var model: String
    @Option(help: "The checkpoint to write (safetensors).") var output: String
    @Option(help: "Inputs and expected outputs to compare with (safetensors).") var reference: String?
    @Option(help: "Directory holding the Fashion-MNIST files.") var data: String?

    func run() throws {
        let imported = orFail { try ONNX.importModel(model) }
        let network = imported.network
        network.eval()
        var fields: [String: Any] = [
            "onnx": model, "checkpoint": output, "rebuilt_as_layers": imported.rebuilt, "input_shape": imported.inputShape,
            "network": (network as? Sequential).map { "Sequential(\($0.layers.map { String(describing: type(of: $0)) }.joined(separator: ", ")))" } ?? network.description, "parameters": network.parameterCount(),
        ]
        if let reference {
            let (tensors, _) = orFail { try SafeTensors.load(reference) }
            guard let inputs = tensors["images"] ?? tensors["inputs"], let expected = tensors["logits"] ?? tensors["outputs"] else {
                fail("\(reference): needs tensors 'images' (or 'inputs') and 'logits' (or 'outputs')")
            }
            guard Array(inputs.shape.dimensions.dropFirst()).reduce(1, *) == imported.inputShape.reduce(1, *), inputs.shape.rank >= 1,
                  (inputs.dtype == .float32) == (imported.inputType == .float32) else {
                fail("\(reference): 'images' \(inputs.dtype) \(inputs.shape) do not fit the model's \(imported.inputType) input \(imported.inputShape)")
            }
            let outputs = withoutGradients { network(inputs.reshaped(to: Shape([-1] + imported.inputShape))) }
            guard outputs.shape == expected.shape else { fail("\(reference): 'logits' are \(expected.shape), the model gives \(outputs.shape)") }
            fields["max_abs_difference"] = zip(outputs.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? 0
            let last = outputs.rank - 1
            let agree = zip(outputs.argmax(along: last).integers, expected.argmax(along: last).integers).filter { $0 == $1 }.count
            fields["same_argmax"] = Float(agree) / Float(outputs.scalarCount / outputs.shape[last])
        }
        if imported.inputType == .float32, imported.inputShape.reduce(1, *) == 784,
           let classes = try? network.checkedOutputShape(for: [1] + imported.inputShape), classes == [1, 10] {
            let test = loadFashionMNIST(data)
            let classifier = imported.inputShape == [784] ? network : Sequential { Reshape(Shape(imported.inputShape)); network }
            fields["test_accuracy"] = ModelZoo.testMetrics(classifier, test)["accuracy"]
        }
        orFail { try Checkpoint.save(network, to: output, metadata: ["imported_from": (model as NSString).lastPathComponent]) }
        report(fields)
    }
}

/// `evaluate --state-dict F --model NAME`: PyTorch's `load_state_dict(strict=False)` into the
/// zoo model, with what matched reported, then the test set.
func evaluateStateDictionary(_ path: String, model name: String, data: String?, json: Bool) {
    let network = orFail { try ModelZoo.make(name) }
    let loaded = orFail { try Checkpoint.loadStateDictionary(path, into: network, strict: false) }
    if loaded.loaded.isEmpty { fail("\(path): no tensor matches a parameter of \(name) (unexpected: \(loaded.unexpected.prefix(8)))") }
    let result = ModelZoo.testMetrics(network, loadFashionMNIST(data))
    if json {
        report(["test_accuracy": result["accuracy"]!, "test_loss": result["loss"]!, "model": name, "parameters": network.parameterCount(),
                "loaded": loaded.loaded.count, "missing": loaded.missing, "unexpected": loaded.unexpected])
    } else {
        print(String(format: "test accuracy: %.4f (loss %.4f); %d tensors loaded", result["accuracy"]!, result["loss"]!, loaded.loaded.count)
              + (loaded.missing.isEmpty ? "" : ", missing \(loaded.missing)") + (loaded.unexpected.isEmpty ? "" : ", unexpected \(loaded.unexpected)"))
    }
}
