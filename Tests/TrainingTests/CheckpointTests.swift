import Foundation
import Layers
import Optimizers
import TensorCore
import Testing
import Training

func temporaryPath(_ name: String) -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
    try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent(name).path
}

@Suite struct CheckpointTests {
    @Test func modelRoundTripRebuildsTheArchitecture() throws {
        let model = Random.withSeed(3) {
            Sequential { Linear(4, 8); GELU(); Dropout(rate: 0.1); Linear(8, 2, bias: false); Softmax(axis: -1) }
        }
        let path = temporaryPath("m.safetensors")
        try Checkpoint.save(model, to: path, metadata: ["note": "hi"])
        let (rebuilt, metadata) = try Checkpoint.loadModel(path)
        #expect(metadata["note"] == "hi")
        #expect(rebuilt.description == model.description)
        rebuilt.eval(); model.eval()
        let x = Tensor.normal([3, 4])
        #expect(rebuilt(x).scalars == model(x).scalars)
        // Nothing but the checkpoint is left behind: no temporary files.
        let dir = (path as NSString).deletingLastPathComponent
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["m.safetensors"])
    }

    @Test func mismatchedModelsAreNamed() throws {
        let path = temporaryPath("m.safetensors")
        try Checkpoint.save(Sequential { Linear(4, 8) }, to: path)
        #expect(throws: Checkpoint.MismatchError.self) { try Checkpoint.load(path, into: Sequential { Linear(4, 9) }) }
        do {
            try Checkpoint.load(path, into: Sequential { ReLU(); Linear(4, 8) })
            Issue.record("expected a mismatch")
        } catch let error as Checkpoint.MismatchError {
            #expect(error.description.contains("missing [\"1.bias\", \"1.weight\"]"))
            #expect(error.description.contains("unexpected [\"0.bias\", \"0.weight\"]"))
        }
    }

    @Test("training resumes exactly from a checkpoint", arguments: ["adam", "sgd", "rmsprop", "adagrad"])
    func resumeIsExact(_ kind: String) throws {
        func make(_ model: any Layer) -> any Optimizer {
            let p = model.trainableParameters
            switch kind {
            case "adam": return Adam(p, learningRate: 0.01, amsgrad: true)
            case "sgd": return SGD(p, learningRate: 0.01, momentum: 0.9)
            case "rmsprop": return RMSprop(p, learningRate: 0.01, momentum: 0.5, centered: true)
            default: return Adagrad(p, learningRate: 0.1)
            }
        }
        let x = Tensor.normal([8, 4]), y = Tensor(integers: [0, 1, 2, 0, 1, 2, 0, 1])
        func step(_ model: any Layer, _ opt: any Optimizer) {
            opt.zeroGrad()
            crossEntropy(logits: model(x), labels: y).backward()
            opt.step()
        }
        let straight = Random.withSeed(1) { Sequential { Linear(4, 5); Tanh(); Linear(5, 3) } }
        let straightOpt = make(straight)
        for _ in 0..<3 { step(straight, straightOpt) }

        let first = Random.withSeed(1) { Sequential { Linear(4, 5); Tanh(); Linear(5, 3) } }
        let firstOpt = make(first)
        for _ in 0..<2 { step(first, firstOpt) }
        let path = temporaryPath("r.safetensors")
        try Checkpoint.save(first, to: path, optimizer: firstOpt)
        let resumed = Random.withSeed(99) { Sequential { Linear(4, 5); Tanh(); Linear(5, 3) } }
        let resumedOpt = make(resumed)
        try Checkpoint.load(path, into: resumed, optimizer: resumedOpt)
        step(resumed, resumedOpt)
        #expect(resumed.parameters.flatMap(\.value.scalars) == straight.parameters.flatMap(\.value.scalars))
    }
}
