import ArgumentParser
import DeepLearning
import Foundation

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a model as ONNX (opset 17, a dynamic batch dimension).",
        discussion: """
            The model is a checkpoint (--checkpoint) or a zoo model with its seeded initial weights (--model). \
            --reference also writes the first --count Fashion-MNIST test images and this library's outputs on them \
            (safetensors: images, outputs), to compare with an ONNX runtime.
            """)

    @Option(help: "A checkpoint written by train.") var checkpoint: String?
    @Option(help: "A zoo model (\(ModelZoo.names.joined(separator: ", "))), exported with its initial weights.") var model: String?
    @Option(parsing: .unconditional, help: "Seed of the zoo model's initial weights.") var seed: UInt64 = 0
    @Option(help: "The ONNX file to write.") var output: String
    @Option(help: "The shape of one example, comma-separated (default 784, or a table model's width).") var inputShape: String?
    @Option(help: "Also write inputs and outputs here (safetensors) to check a runtime against.") var reference: String?
    @Option(help: "Directory holding the Fashion-MNIST files (for --reference).") var data: String?
    @Option(parsing: .unconditional, help: "Test images (default 1000), or text windows of a language model (default 64), in --reference.") var count: Int?

    func validate() throws {
        guard (checkpoint == nil) != (model == nil) else { throw ValidationError("give --checkpoint F or --model NAME") }
        if let model, !ModelZoo.names.contains(model) {
            throw ValidationError("unknown model '\(model)'; choose one of \(ModelZoo.names.joined(separator: ", "))")
        }
        if let count { try check(count, in: 1...10_000, "--count") }
    }

    func run() throws {
        if let checkpoint, (try? SafeTensors.load(checkpoint).metadata["kind"]) == "character-language-model" {
            return exportLanguageModel(checkpoint)
        }
        let network: any Layer
        var width = 784
        if let checkpoint {
            let loaded = orFail { try Model.load(from: checkpoint) }
            network = loaded.network
            width = loaded.tableEncoder?.width ?? width
        } else {
            network = orFail { try Random.withSeed(seed) { try ModelZoo.make(model!) } }
        }
        var shape = [width]
        if let inputShape {
            let parts = inputShape.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard (1...4).contains(parts.count), let sizes = parts as? [Int], sizes.allSatisfy({ (1...1 << 20).contains($0) }),
                  sizes.reduce(1.0, { $0 * Double($1) }) <= Double(1 << 28)
            else {
                fail("--input-shape must be 1 to 4 sizes separated by commas, at most 2^28 values in all, like 1,28,28; got '\(inputShape)'")
            }
            shape = sizes
            // Layers that cannot check a shape before running would stop the program on a wrong one.
            guard network.allLayers.allSatisfy({ $0 is any ShapeInferring }) else {
                fail("--input-shape: this network has layers that cannot check an input shape before running; export it with the shape it was trained on")
            }
        }
        if reference != nil && shape.reduce(1, *) != 784 {
            fail("--reference compares on Fashion-MNIST images, 784 values each; the input shape \(shape) holds \(shape.reduce(1, *))")
        }
        network.eval()
        orFail { try ONNX.export(network, inputShape: shape, to: output) }
        var fields: [String: Any] = ["onnx": output, "opset": ONNX.opset, "input_shape": shape]
        if let reference {
            let test = loadFashionMNIST(data)
            let images = test.testImages[0..<Swift.min(count ?? 1000, test.testImages.shape[0])].reshaped(to: Shape([-1] + shape))
            let outputs = withoutGradients { network(images) }
            orFail { try SafeTensors.save(["images": images, "outputs": outputs], to: reference) }
            fields["reference"] = reference
        }
        report(fields)
    }

    /// A checkpoint of `lm train`: int64 ids of one window in, next-token logits out; the
    /// reference holds --count windows of the bundled Shakespeare (64 unless given).
    private func exportLanguageModel(_ checkpoint: String) {
        let (model, tokenizer) = orFail { try CharacterModels.load(checkpoint) }
        guard let context = model.maxContext else { fail("\(checkpoint): a recurrent language model has no fixed window; only the transformer is exported") }
        if inputShape != nil { fail("--input-shape does not apply to a language model: its input is one window of \(context) ids") }
        model.eval()
        orFail { try ONNX.export(model, inputShape: [context], inputType: .int64, to: output) }
        var fields: [String: Any] = ["onnx": output, "opset": ONNX.opset, "input_shape": [context], "input_type": "int64"]
        if let reference {
            let ids = tokenizer.encode(orFail { try TextCorpus.shakespeare() })
            let windows = Swift.min(count ?? 64, ids.count / context)
            let inputs = Tensor(integers: Array(ids[0..<(windows * context)]), shape: [windows, context])
            let outputs = withoutGradients { model(inputs) }
            orFail { try SafeTensors.save(["images": inputs, "outputs": outputs], to: reference) }
            fields["reference"] = reference
        }
        report(fields)
    }
}
