import Datasets
import Foundation
import Layers
import Optimizers
import TensorCore
import Testing
import Training

/// A small problem with a known answer: the label is which of 3 input coordinates is largest.
func argmaxProblem(_ n: Int, seed: UInt64) -> (Tensor, Tensor) {
    var rng = RandomGenerator(seed: seed)
    let x = Tensor.normal([n, 3], using: &rng)
    return (x, x.argmax(along: 1))
}

func smallModel(seed: UInt64 = 0) -> Model {
    let model = Model(Random.withSeed(seed) { Sequential { Linear(3, 16); ReLU(); Linear(16, 3) } })
    model.compile(optimizer: Adam(model.network.trainableParameters, learningRate: 0.01), loss: .crossEntropy(),
                  metrics: [Accuracy()])
    model.progressOutput = nil
    return model
}

@Suite struct FitTests {
    @Test func fitLearnsAndLogsEveryEpoch() {
        let (x, y) = argmaxProblem(600, seed: 1)
        let model = smallModel()
        let history = model.fit(x, y, epochs: 8, batchSize: 32, validationSplit: 0.2)
        #expect(history.epochs.count == 8)
        #expect(history["loss"].count == 8 && history["val_accuracy"].count == 8)
        #expect(history["loss"].last! < history["loss"].first!)
        #expect(history["val_accuracy"].last! > 0.9)
        let (tx, ty) = argmaxProblem(300, seed: 2)
        let scores = model.evaluate(tx, ty)
        #expect(scores["accuracy"]! > 0.9)
        #expect(model.predict(tx).shape == [300, 3])
    }

    @Test func clipNormCapsTheGlobalGradientNormOfEachStep() {
        let layer = Linear(3, 2)
        layer.weight.value = .zeros([2, 3])
        layer.bias!.value = .zeros([2])
        let model = Model(layer)
        // Squared error against huge targets: the raw gradient norm is in the thousands.
        model.compile(optimizer: SGD(layer.trainableParameters, learningRate: 1), loss: .meanSquaredError, clipNorm: 0.5)
        model.trainStep(Tensor([[1, 2, 3]]), Tensor([[1000, -1000]]))
        let moved = (layer.weight.value * layer.weight.value).sum().scalar + (layer.bias!.value * layer.bias!.value).sum().scalar
        #expect(Swift.abs(moved.squareRoot() - 0.5) < 1e-4, "step norm \(moved.squareRoot())")
    }

    @Test func sameSeedSameHistory() {
        let (x, y) = argmaxProblem(200, seed: 1)
        let a = smallModel().fit(x, y, epochs: 2, batchSize: 16, seed: 5)
        let b = smallModel().fit(x, y, epochs: 2, batchSize: 16, seed: 5)
        #expect(a["loss"] == b["loss"])
    }

    @Test func earlyStoppingStopsAndRestoresTheBestWeights() {
        let (x, y) = argmaxProblem(200, seed: 1)
        let model = smallModel()
        // A learning rate so high that validation loss gets worse quickly.
        model.optimizer!.learningRate = 5
        let stopper = EarlyStopping(monitor: "val_loss", patience: 1, restoreBestWeights: true)
        var snapshots: [[Float]] = []
        final class Recorder: Callback {
            let record: ([Float]) -> Void
            init(_ record: @escaping ([Float]) -> Void) { self.record = record }
            func onEpochEnd(_ epoch: Int, logs: [String: Float], model: Model) {
                record(model.network.parameters.flatMap(\.value.scalars))
            }
        }
        let history = model.fit(x, y, epochs: 30, batchSize: 16, validationData: (x, y),
                                callbacks: [stopper, Recorder { snapshots.append($0) }])
        #expect(history.epochs.count < 30)
        let best = stopper.bestEpoch!
        #expect(history["val_loss"][best] == history["val_loss"].min())
        #expect(model.network.parameters.flatMap(\.value.scalars) == snapshots[best])
    }

    @Test func reduceLROnPlateauAndScheduler() {
        let (x, y) = argmaxProblem(100, seed: 1)
        let model = smallModel()
        let reduce = ReduceLROnPlateau(monitor: "constant", factor: 0.5, patience: 1)
        // A monitored value that never improves after the first epoch: halve every 2 epochs.
        final class Feed: Callback {
            let target: ReduceLROnPlateau
            init(_ target: ReduceLROnPlateau) { self.target = target }
            func onEpochEnd(_ epoch: Int, logs: [String: Float], model: Model) {
                target.onEpochEnd(epoch, logs: ["constant": 1], model: model)
            }
        }
        model.fit(x, y, epochs: 5, batchSize: 50, callbacks: [Feed(reduce)])
        #expect(Swift.abs(model.optimizer!.learningRate - 0.01 * 0.25) < 1e-9)
        let scheduled = smallModel()
        let history = scheduled.fit(x, y, epochs: 3, batchSize: 50, callbacks: [LearningRateScheduler(StepDecay(initial: 0.1, stepSize: 1, gamma: 0.5))])
        #expect(history["lr"] == [0.1, 0.05, 0.025])
    }

    @Test func terminateOnNaNAndCSVLogger() throws {
        let (x, y) = argmaxProblem(100, seed: 1)
        let model = smallModel()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("log-\(UUID()).csv").path
        model.fit(x, y, epochs: 2, batchSize: 50, callbacks: [CSVLogger(path: path)])
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0] == "epoch,accuracy,loss,lr")
        #expect(lines[2].hasPrefix("1,"))
        let broken = smallModel()
        broken.optimizer!.learningRate = .nan
        let history = broken.fit(x, y, epochs: 5, batchSize: 10, callbacks: [TerminateOnNaN()])
        #expect(history.epochs.count == 1)
    }

    @Test func terminateOnNaNStopsAtTheFirstBatchWhenAnInputIsNaN() {
        var (x, y) = argmaxProblem(100, seed: 1)
        x.withUnsafeMutableBufferPointer { $0[4] = .nan }   // example 1: in the first batch
        let model = smallModel()
        var lines: [String] = []
        model.progressOutput = { text, _ in lines.append(text) }
        final class CountBatches: Callback {
            var count = 0
            func onBatchEnd(_ batch: Int, logs: [String: Float], model: Model) { count += 1 }
        }
        let counter = CountBatches(), terminate = TerminateOnNaN()
        // ReLU must pass the NaN on: if it turned it into 0 the first loss would be finite.
        let history = model.fit(x, y, epochs: 5, batchSize: 10, shuffle: false, callbacks: [terminate, counter])
        #expect(history.epochs.count == 1 && counter.count == 1)
        #expect(terminate.stoppedEpoch == 0 && terminate.stoppedBatch == 0 && terminate.invalidLoss?.isNaN == true)
        #expect(history["loss"].count == 1 && history["loss"][0].isNaN)
        #expect(lines.last == "TerminateOnNaN: loss nan at batch 1 of epoch 1; training stopped", "\(lines)")
        // A later fit with clean data starts afresh: nothing stops it.
        let clean = smallModel()
        let (cx, cy) = argmaxProblem(100, seed: 1)
        #expect(clean.fit(cx, cy, epochs: 2, batchSize: 50, callbacks: [terminate]).epochs.count == 2)
        #expect(terminate.stoppedBatch == nil && terminate.invalidLoss == nil)
    }

    @Test func trainsOnTheBundledFashionMNISTSample() throws {
        let data = try FashionMNIST.load(directory: FashionMNIST.bundledSampleDirectory)
        let model = Model(Random.withSeed(0) { Sequential { Linear(784, 64); ReLU(); Linear(64, 10) } })
        model.compile(optimizer: Adam(model.network.trainableParameters), loss: .crossEntropy(), metrics: [Accuracy()])
        model.progressOutput = nil
        model.fit(data.trainImages, data.trainLabels, epochs: 3, batchSize: 64)
        // A linear model reaches about 0.75 on this sample; the MLP must clearly beat chance.
        #expect(model.evaluate(data.testImages, data.testLabels)["accuracy"]! > 0.75)
    }

    @Test func summaryTable() {
        let text = Sequential { Linear(784, 256); ReLU(); Linear(256, 10) }.summary(inputShape: [784])
        #expect(text.contains("(0) Linear(784 => 256, bias: true)  [-1, 256]     200,960\n(1) ReLU()"))
        #expect(text.contains("(2) Linear(256 => 10, bias: true)   [-1, 10]        2,570"))
        #expect(text.contains("Total params: 203,530"))
    }
}
