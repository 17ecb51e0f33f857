import Foundation
import Interop
import TensorCore

/// Keras's `TensorBoard` callback: after each epoch, every log of `fit` as a scalar (training
/// logs in `<logDirectory>/train`, `val_` logs without the prefix in
/// `<logDirectory>/validation`, tags `epoch_<name>` as Keras writes them, `lr` as
/// `epoch_learning_rate`), a histogram of every parameter every `histogramFrequency` epochs, and
/// at the start `sampleImages` as one image grid (`samples`). Steps are epochs.
///
/// ```swift
/// model.fit(x, y, epochs: 10, callbacks: [TensorBoard(logDirectory: "runs/tb", sampleImages: x[0..<8].reshaped(to: [8, 1, 28, 28]))])
/// ```
/// then `tensorboard --logdir runs/tb`.
public final class TensorBoard: Callback {
    public var isPrimaryOnly: Bool { true }
    public let logDirectory: String
    public let histogramFrequency: Int
    public let sampleImages: Tensor?
    /// Text written once at the start (`run`), such as the recipe or the flags.
    public let runDescription: String?
    /// The run's hyperparameters for TensorBoard's HParams dashboard, shown beside the final
    /// `epoch_` metrics; none when empty.
    public let hyperparameters: [String: SummaryWriter.HyperparameterValue]
    private var train: SummaryWriter?, validation: SummaryWriter?
    /// Why the writers could not be opened (also written to stderr); nil when they were.
    public private(set) var lastError: (any Error)?

    public init(logDirectory: String, histogramFrequency: Int = 1, sampleImages: Tensor? = nil, runDescription: String? = nil,
                hyperparameters: [String: SummaryWriter.HyperparameterValue] = [:]) {
        self.logDirectory = logDirectory
        self.hyperparameters = hyperparameters
        self.histogramFrequency = histogramFrequency
        self.sampleImages = sampleImages
        self.runDescription = runDescription
    }

    public func onTrainBegin(model: Model) {
        do {
            train = try SummaryWriter(logDirectory: (logDirectory as NSString).appendingPathComponent("train"))
            validation = try SummaryWriter(logDirectory: (logDirectory as NSString).appendingPathComponent("validation"))
            lastError = nil
        } catch {
            lastError = error
            FileHandle.standardError.write(Data("TensorBoard: cannot write to \(logDirectory): \(error); nothing will be logged\n".utf8))
            return
        }
        if let sampleImages { train?.addImage("samples", sampleImages, step: 0) }
        if let runDescription { train?.addText("run", runDescription, step: 0) }
        if !hyperparameters.isEmpty { train?.addHyperparameters(hyperparameters, metrics: metricTags(model)) }
    }

    /// `epoch_loss` and `epoch_<metric>` for each compiled metric.
    private func metricTags(_ model: Model) -> [String] {
        ["epoch_loss"] + model.metrics.map { "epoch_" + $0.name }
    }

    public func onEpochEnd(_ epoch: Int, logs: [String: Float], model: Model) {
        for (key, value) in logs.sorted(by: { $0.key < $1.key }) {
            if key.hasPrefix("val_") {
                validation?.addScalar("epoch_" + key.dropFirst(4), value, step: epoch)
            } else {
                train?.addScalar(key == "lr" ? "epoch_learning_rate" : "epoch_" + key, value, step: epoch)
            }
        }
        if histogramFrequency > 0 && epoch % histogramFrequency == 0 {
            for (name, p) in model.network.namedParameters where p.value.scalarCount > 0 {
                train?.addHistogram(name, values: p.value.scalars, step: epoch)
            }
        }
    }

    public func onTrainEnd(model: Model) {
        if !hyperparameters.isEmpty { train?.endHyperparameterSession() }
        train?.close()
        validation?.close()
        train = nil
        validation = nil
    }
}
