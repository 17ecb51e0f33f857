import Foundation
import Layers
import Optimizers
import TensorCore

/// Hooks into `Model.fit`. Every method has an empty default; `logs` holds `loss`, metric names
/// and their `val_` twins, and `lr`.
public protocol Callback: AnyObject {
    /// Whether, in distributed training, only rank 0 runs it: true for those that write files
    /// (checkpoints, logs), false (the default) for those that steer training and so must run
    /// on every rank alike (schedules, early stopping).
    var isPrimaryOnly: Bool { get }
    func onTrainBegin(model: Model)
    func onEpochBegin(_ epoch: Int, model: Model)
    func onBatchEnd(_ batch: Int, logs: [String: Float], model: Model)
    func onEpochEnd(_ epoch: Int, logs: [String: Float], model: Model)
    func onTrainEnd(model: Model)
}

extension Callback {
    public var isPrimaryOnly: Bool { false }
    public func onTrainBegin(model: Model) {}
    public func onEpochBegin(_ epoch: Int, model: Model) {}
    public func onBatchEnd(_ batch: Int, logs: [String: Float], model: Model) {}
    public func onEpochEnd(_ epoch: Int, logs: [String: Float], model: Model) {}
    public func onTrainEnd(model: Model) {}
}

/// Whether a monitored quantity improves by going down (losses) or up (accuracies).
public enum MonitorMode: Sendable {
    case min, max
    /// `max` for names containing "acc", "auc", "precision", "recall" or "f1"; `min` otherwise.
    case auto

    func resolved(for monitor: String) -> MonitorMode {
        guard self == .auto else { return self }
        return ["acc", "auc", "precision", "recall", "f1"].contains { monitor.contains($0) } ? .max : .min
    }

    func isImprovement(_ value: Float, over best: Float, minDelta: Float) -> Bool {
        self == .max ? value > best + minDelta : value < best - minDelta
    }
}

/// Stops training when `monitor` has not improved by `minDelta` for `patience` epochs, and can
/// put back the weights of the best epoch.
public final class EarlyStopping: Callback {
    public let monitor: String, minDelta: Float, patience: Int, restoreBestWeights: Bool
    private let mode: MonitorMode
    public private(set) var bestValue: Float?
    public private(set) var bestEpoch: Int?
    public private(set) var stoppedEpoch: Int?
    private var wait = 0
    private var bestWeights: [Tensor]?

    public init(monitor: String = "val_loss", minDelta: Float = 0, patience: Int = 0, mode: MonitorMode = .auto,
                restoreBestWeights: Bool = false) {
        self.monitor = monitor
        self.minDelta = Swift.abs(minDelta)
        self.patience = patience
        self.mode = mode.resolved(for: monitor)
        self.restoreBestWeights = restoreBestWeights
    }

    public func onTrainBegin(model: Model) {
        bestValue = nil; bestEpoch = nil; stoppedEpoch = nil; wait = 0; bestWeights = nil
    }

    public func onEpochEnd(_ epoch: Int, logs: [String: Float], model: Model) {
        guard let value = logs[monitor] else { return }
        if bestValue.map({ mode.isImprovement(value, over: $0, minDelta: minDelta) }) ?? true {
            bestValue = value
            bestEpoch = epoch
            wait = 0
            // Copies share storage until the optimizer writes, which then copies: a cheap snapshot.
            if restoreBestWeights { bestWeights = model.network.parameters.map { $0.value.detached() } }
        } else {
            wait += 1
            if wait > patience {
                stoppedEpoch = epoch
                model.stopTraining = true
            }
        }
    }

    public func onTrainEnd(model: Model) {
        guard let bestWeights else { return }
        for (p, w) in zip(model.network.parameters, bestWeights) { p.value = w }
    }
}

/// Sets the optimizer's learning rate at the start of each epoch from `schedule(epoch, current)`.
public final class LearningRateScheduler: Callback {
    private let schedule: (Int, Float) -> Float
    public init(_ schedule: @escaping (_ epoch: Int, _ learningRate: Float) -> Float) { self.schedule = schedule }
    /// Follows a per-epoch schedule from Optimizers.
    public convenience init(_ schedule: any LearningRateSchedule) {
        self.init { epoch, _ in schedule.learningRate(at: epoch) }
    }
    public func onEpochBegin(_ epoch: Int, model: Model) {
        guard let optimizer = model.optimizer else { return }
        optimizer.learningRate = schedule(epoch, optimizer.learningRate)
    }
}

/// Multiplies the learning rate by `factor` when `monitor` stops improving (Keras's callback).
public final class ReduceLROnPlateau: Callback {
    public let plateau: PlateauDetector
    public let monitor: String
    public init(monitor: String = "val_loss", factor: Float = 0.1, patience: Int = 10, mode: MonitorMode = .auto,
                minDelta: Float = 1e-4, cooldown: Int = 0, minimumLearningRate: Float = 0) {
        self.monitor = monitor
        plateau = PlateauDetector(
            factor: factor, patience: patience, minimizes: mode.resolved(for: monitor) == .min, minDelta: minDelta,
            cooldown: cooldown, minimumLearningRate: minimumLearningRate)
    }
    public func onEpochEnd(_ epoch: Int, logs: [String: Float], model: Model) {
        guard let value = logs[monitor], let optimizer = model.optimizer else { return }
        optimizer.learningRate = plateau.update(value, learningRate: optimizer.learningRate)
    }
}

/// Stops training as soon as a batch's loss is NaN or infinite, and reports it: where and
/// what (`stoppedEpoch`, `stoppedBatch`, `invalidLoss`) and, when training ends, a line through
/// the model's progress output.
public final class TerminateOnNaN: Callback {
    public private(set) var stoppedEpoch: Int?
    public private(set) var stoppedBatch: Int?
    public private(set) var invalidLoss: Float?
    private var epoch = 0

    public init() {}

    public func onTrainBegin(model: Model) {
        stoppedEpoch = nil; stoppedBatch = nil; invalidLoss = nil; epoch = 0
    }

    public func onEpochBegin(_ epoch: Int, model: Model) { self.epoch = epoch }

    public func onBatchEnd(_ batch: Int, logs: [String: Float], model: Model) {
        guard let loss = logs["loss"], !loss.isFinite, invalidLoss == nil else { return }
        stoppedEpoch = epoch
        stoppedBatch = batch
        invalidLoss = loss
        model.stopTraining = true
    }

    public func onTrainEnd(model: Model) {
        guard let invalidLoss, let stoppedEpoch, let stoppedBatch else { return }
        let loss = invalidLoss.isNaN ? "nan" : "\(invalidLoss)"   // not "-nan" for a NaN with its sign bit set
        model.progressOutput?("TerminateOnNaN: loss \(loss) at batch \(stoppedBatch + 1) of epoch \(stoppedEpoch + 1); training stopped", "\n")
    }
}

/// Writes one CSV row per epoch: `epoch` and every log key, in sorted order.
public final class CSVLogger: Callback {
    public var isPrimaryOnly: Bool { true }
    public let path: String
    private var keys: [String]?
    private var handle: FileHandle?

    public init(path: String) { self.path = path }

    public func onTrainBegin(model: Model) {
        keys = nil
        if !FileManager.default.createFile(atPath: path, contents: nil) {
            FileHandle.standardError.write(Data("CSVLogger: cannot create \(path); nothing will be logged\n".utf8))
        }
        handle = FileHandle(forWritingAtPath: path)
    }

    public func onEpochEnd(_ epoch: Int, logs: [String: Float], model: Model) {
        guard let handle else { return }
        if keys == nil {
            keys = logs.keys.sorted()
            handle.write(Data((["epoch"] + keys!).joined(separator: ",").utf8 + [10]))
        }
        let row = [String(epoch)] + keys!.map { logs[$0].map { "\($0)" } ?? "" }
        handle.write(Data(row.joined(separator: ",").utf8 + [10]))
    }

    public func onTrainEnd(model: Model) {
        try? handle?.close()
        handle = nil
    }
}

/// Reports each epoch's wall-clock time in seconds, including its validation pass.
public final class EpochTimer: Callback {
    private let report: (Double) -> Void
    private var start = ContinuousClock.now

    public init(_ report: @escaping (Double) -> Void) { self.report = report }

    public func onEpochBegin(_ epoch: Int, model: Model) { start = .now }

    public func onEpochEnd(_ epoch: Int, logs: [String: Float], model: Model) {
        report((ContinuousClock.now - start).inSeconds)
    }
}
