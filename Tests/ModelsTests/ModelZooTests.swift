import Datasets
import Foundation
import Layers
import Models
import TensorCore
import Testing
import Training

func temporaryPath(_ name: String) -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
    try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent(name).path
}

/// The first `count` training and `testCount` test images of the bundled sample: few, since the
/// suite also runs in a debug build on the portable matrix product (`DEEPLEARN_BLAS=none`).
func sample(_ count: Int, testCount: Int = 4) throws -> FashionMNIST {
    let data = try FashionMNIST.load(directory: FashionMNIST.bundledSampleDirectory)
    return FashionMNIST(trainImages: data.trainImages[0..<count], trainLabels: data.trainLabels[0..<count],
                        testImages: data.testImages[0..<testCount], testLabels: data.testLabels[0..<testCount],
                        directory: data.directory, isBundledSample: true)
}

@Suite struct ModelZooTests {
    @Test("two epochs of the default recipe run; the checkpoint rebuilds the model", arguments: ModelZoo.names)
    func trainsAndRoundTrips(_ name: String) throws {
        let data = try sample(8)
        var recipe = try ModelZoo.recipe(for: name)
        recipe.epochs = 2
        let path = temporaryPath("\(name).safetensors")
        let result = try ModelZoo.train(name, recipe: recipe, batchSize: 4, data: data, seed: 0, checkpoint: path,
                                        showProgressBar: false)
        #expect(result.epochSeconds.count == 2)
        #expect(result.testLoss.isFinite && (0...1).contains(result.testAccuracy))
        let (rebuilt, metadata) = try ModelZoo.loadCheckpoint(path)
        #expect(metadata["model"] == name)
        #expect(rebuilt.description == result.network.description)
        result.network.eval()
        rebuilt.eval()
        let x = data.testImages
        #expect(withoutGradients { rebuilt(x).scalars == result.network(x).scalars })
        #expect(ModelZoo.testMetrics(rebuilt, data)["accuracy"] == result.testAccuracy)
    }

    @Test func trainingLowersTheLossOfEveryZooModel() throws {
        let data = try sample(8)
        for name in ModelZoo.names {
            let network = try Random.withSeed(0) { try ModelZoo.make(name) }
            let model = Model(network)
            model.compile(optimizer: try ModelZoo.optimizer("adam", parameters: network.trainableParameters, learningRate: 2e-3,
                                                            weightDecay: 0), loss: .crossEntropy())
            model.progressOutput = nil
            let history = model.fit(data.trainImages, data.trainLabels, epochs: 4, batchSize: 8, seed: 0)
            let losses = history["loss"]
            #expect(losses.last! < losses.first!, "\(name): \(losses)")
        }
    }

    @Test func unknownNamesAreErrorsThatListTheChoices() {
        let error = #expect(throws: ModelZoo.UnknownName.self) { try ModelZoo.make("vgg") }
        #expect(error?.description == "unknown model 'vgg'; choose one of mlp, cnn, cnn-bn, resnet, lstm, gru")
        #expect(throws: ModelZoo.UnknownName.self) { try ModelZoo.recipe(for: "vgg") }
    }

    @Test func imagesOfTheWrongWidthAreRejected() throws {
        let path = temporaryPath("wide.csv")
        try "1,2,3\n4,5,6\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ModelZoo.InputError.self) { try ModelZoo.readImages(path) }
    }

    @Test func resNetStagesHalveTheResolution() {
        let resnet = Random.withSeed(0) { makeResNet(inChannels: 1, classes: 10, width: 8, blocksPerStage: [1, 1]) }
        #expect(resnet(Tensor.zeros([2, 1, 28, 28])).shape == [2, 10])
        #expect(resnet.layers.compactMap { $0 as? ResidualBlock }.map(\.conv1.stride.0) == [1, 2])
    }
}

/// `train --resume`: a run stopped after an epoch and resumed ends with the same weights.
@Suite struct ResumeTests {
    @Test("resuming the per-epoch checkpoint gives the uninterrupted weights", arguments: [false, true])
    func resumedRunMatchesTheStraightOne(_ augment: Bool) throws {
        let data = try sample(24)
        var recipe = try ModelZoo.recipe(for: "mlp")
        (recipe.epochs, recipe.augment) = (3, augment)
        let straight = try ModelZoo.train("mlp", recipe: recipe, batchSize: 8, data: data, seed: 3, showProgressBar: false)
        let path = temporaryPath("mlp.safetensors")
        _ = try ModelZoo.train("mlp", recipe: recipe, batchSize: 8, data: data, seed: 3, checkpoint: path, showProgressBar: false,
                               callbacks: [StopAfterFirstEpoch()])
        let resumed = try ModelZoo.resume(path, data: data, showProgressBar: false)
        #expect(resumed.epochSeconds.count == 2)
        #expect(resumed.network.parameters.map(\.value.scalars) == straight.network.parameters.map(\.value.scalars))
        // The finished checkpoint can be extended, not re-run.
        #expect(throws: ModelZoo.InputError.self) { try ModelZoo.resume(path, data: data, showProgressBar: false) }
    }
}

final class StopAfterFirstEpoch: Callback {
    func onEpochEnd(_ epoch: Int, logs: [String: Float], model: Model) { model.stopTraining = true }
}
