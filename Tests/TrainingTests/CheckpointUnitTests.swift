import Foundation
import Interop
import Layers
import Optimizers
import TensorCore
import Testing
import Training

#if canImport(Glibc)
import Glibc
#endif

/// The weights file and its optimizer state change together, and a failed save is never silent.
@Suite struct CheckpointUnitTests {
    private func model() -> Sequential { Random.withSeed(5) { Sequential { Linear(3, 4); ReLU(); Linear(4, 2) } } }

    private func train(_ m: any Layer, _ optimizer: any Optimizer) {
        optimizer.zeroGrad()
        crossEntropy(logits: m(Tensor.normal([6, 3])), labels: Tensor(integers: [0, 1, 0, 1, 1, 0])).backward()
        optimizer.step()
    }

    @Test func eachSaveWritesANewOptimizerFileNamedByTheWeightsAndRemovesTheOld() throws {
        let path = temporaryPath("m.safetensors"), directory = (path as NSString).deletingLastPathComponent
        let m = model(), adam = Adam(m.trainableParameters)
        train(m, adam)
        try Checkpoint.save(m, to: path, optimizer: adam)
        let first = try #require(try Checkpoint.optimizerPath(for: path))
        train(m, adam)
        try Checkpoint.save(m, to: path, optimizer: adam)
        let second = try #require(try Checkpoint.optimizerPath(for: path))
        #expect(first != second)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
            == ["m.safetensors", (second as NSString).lastPathComponent].sorted())
        let restored = model(), restoredAdam = Adam(restored.trainableParameters)
        try Checkpoint.load(path, into: restored, optimizer: restoredAdam)
        #expect(restoredAdam.stepCount == 2)
    }

    @Test func anOptimizerFileOfAnotherSaveIsRejected() throws {
        let path = temporaryPath("m.safetensors")
        let m = model(), sgd = SGD(m.trainableParameters, learningRate: 0.1, momentum: 0.9)
        train(m, sgd)
        try Checkpoint.save(m, to: path, optimizer: sgd)
        let file = try #require(try Checkpoint.optimizerPath(for: path))
        let old = try Data(contentsOf: URL(fileURLWithPath: file))
        try Checkpoint.save(m, to: path, optimizer: sgd)
        // An old optimizer file put where the new one is named: detected, and nothing is loaded.
        try old.write(to: URL(fileURLWithPath: try #require(try Checkpoint.optimizerPath(for: path))))
        let target = model(), before = target.parameters.map(\.value.scalars)
        #expect(throws: Checkpoint.MismatchError.self) {
            try Checkpoint.load(path, into: target, optimizer: SGD(target.trainableParameters, learningRate: 0.1, momentum: 0.9))
        }
        #expect(target.parameters.map(\.value.scalars) == before)
        // A checkpoint saved without optimizer cannot restore one.
        try Checkpoint.save(m, to: path)
        #expect(throws: Checkpoint.MismatchError.self) { try Checkpoint.load(path, into: target, optimizer: Adam(target.trainableParameters)) }
    }

    @Test func temporaryFilesOfDeadProcessesAreRemovedAndLiveOnesKept() throws {
        let path = temporaryPath("m.safetensors"), directory = (path as NSString).deletingLastPathComponent
        // A pid above the kernel's maximum (4194304) never runs; ours does.
        let dead = ".m.safetensors.tmp-99999999-abc", live = ".m.safetensors.tmp-\(getpid())-abc"
        for name in [dead, live] {
            _ = FileManager.default.createFile(atPath: (directory as NSString).appendingPathComponent(name), contents: Data([1]))
        }
        try Checkpoint.save(model(), to: path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == [live, "m.safetensors"].sorted())
    }

    @Test func aFailedSaveIsRecordedWithProgressOutputOff() throws {
        let m = Model(model())
        m.compile(optimizer: SGD(m.network.trainableParameters, learningRate: 0.1), loss: .crossEntropy())
        m.progressOutput = nil
        let saver = ModelCheckpoint(path: "/nonexistent-directory/m.safetensors", monitor: "loss")
        m.fit(Tensor.normal([4, 3]), Tensor(integers: [0, 1, 0, 1]), epochs: 1, batchSize: 2, callbacks: [saver])
        #expect(saver.lastError != nil)
    }

    @Test("fit resumed from a ModelCheckpoint gives the uninterrupted weights", arguments: ["adam", "adamw", "sgd", "rmsprop", "adagrad"])
    func fitResumesExactly(_ kind: String) throws {
        func optimizer(_ p: [Parameter]) -> any Optimizer {
            switch kind {
            case "adam": return Adam(p, learningRate: 0.01)
            case "adamw": return AdamW(p, learningRate: 0.01, weightDecay: 0.1)
            case "sgd": return SGD(p, learningRate: 0.05, momentum: 0.9, nesterov: true)
            case "rmsprop": return RMSprop(p, learningRate: 0.01)
            default: return Adagrad(p, learningRate: 0.1)
            }
        }
        let x = Random.withSeed(2) { Tensor.normal([40, 6]) }, y = Tensor(integers: (0..<40).map { $0 % 3 })
        func network() -> Sequential { Sequential { Linear(6, 16); ReLU(); Dropout(rate: 0.3); Linear(16, 3) } }
        func trainer(_ net: Sequential) -> Model {
            let m = Model(net)
            m.compile(optimizer: optimizer(net.trainableParameters), loss: .crossEntropy())
            m.progressOutput = nil
            return m
        }
        let schedule = { LearningRateScheduler(CosineDecay(initial: 0.01, totalSteps: 3)) }

        // Thread-scoped generators: the cases run concurrently.
        let straight = Random.withSeed(11) {
            let m = trainer(network())
            m.fit(x, y, epochs: 3, batchSize: 8, callbacks: [schedule()], seed: 4)
            return m.network.parameters.map(\.value.scalars)
        }
        let path = temporaryPath("r.safetensors")
        Random.withSeed(11) {
            let first = trainer(network())
            first.fit(x, y, epochs: 3, batchSize: 8, callbacks: [schedule(), ModelCheckpoint(path: path, monitor: "loss", includeOptimizer: true),
                                                                StopAfter(epochs: 2)], seed: 4)
        }
        let resumed = try Random.withSeed(999) {   // whatever is drawn in between
            let m = trainer(network())
            let metadata = try Checkpoint.load(path, into: m.network, optimizer: m.optimizer)
            #expect(metadata["epoch"] == "1")
            let state = try #require(metadata["random_state"])
            Random.restore(try #require(RandomGenerator(stateDescription: state)))
            m.fit(x, y, epochs: 3, batchSize: 8, callbacks: [schedule()], seed: 4, initialEpoch: 2)
            return m.network.parameters.map(\.value.scalars)
        }
        #expect(resumed == straight)
    }

    @Test func optimizerStateFromOutsideIsChecked() throws {
        let m = model(), adam = Adam(m.trainableParameters)
        train(m, adam)
        let good = adam.stateDictionary()
        func problem(_ edit: (inout [String: Tensor]) -> Void) -> String? {
            var state = good
            edit(&state)
            do { try Adam(m.trainableParameters).loadStateDictionary(state); return nil } catch { return "\(error)" }
        }
        #expect(problem { _ in } == nil)
        #expect(problem { $0["exp_avg.9"] = Tensor.zeros([2]) }?.contains("unexpected entry 'exp_avg.9'") == true)
        #expect(problem { $0["momentum_buffer.0"] = Tensor.zeros([4, 3]) }?.contains("unexpected entry") == true)
        #expect(problem { $0["exp_avg.0"] = Tensor(integers: Array(repeating: 0, count: 12), shape: [4, 3]) }?.contains("needs float32") == true)
        #expect(problem { $0["exp_avg_sq.0"] = Tensor.full([4, 3], value: -1) }?.contains("negative or non-finite") == true)
        #expect(problem { $0["exp_avg.0"] = Tensor.full([4, 3], value: .nan) }?.contains("non-finite") == true)
        #expect(problem { $0["step"] = Tensor(integers: [1 << 62], shape: []) }?.contains("not in 0...2^40") == true)
        // Without the saved powers, a count too large to replay is refused rather than looped over.
        #expect(problem { $0["beta1_power"] = nil; $0["beta2_power"] = nil; $0["step"] = Tensor(integers: [1 << 30], shape: []) }?
            .contains("too large to replay") == true)
    }
}

/// Stops `fit` after `epochs` epochs, as a killed run would have.
final class StopAfter: Callback {
    let epochs: Int
    init(epochs: Int) { self.epochs = epochs }
    func onEpochEnd(_ epoch: Int, logs: [String: Float], model: Model) {
        if epoch + 1 == epochs { model.stopTraining = true }
    }
}
