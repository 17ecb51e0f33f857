import Datasets
import Foundation
import Layers
import Optimizers
import TensorCore

/// What `fit` returns: the logs of each epoch, in order.
public struct History: Sendable {
    public private(set) var epochs: [[String: Float]] = []

    mutating func append(_ logs: [String: Float]) { epochs.append(logs) }

    /// One logged quantity across epochs (`history["val_loss"]`).
    public subscript(key: String) -> [Float] { epochs.compactMap { $0[key] } }
}

/// A network with its optimizer, loss and metrics: Keras's `compile`/`fit`/`evaluate`/`predict`
/// over the same step a manual PyTorch-style loop takes (`trainStep`).
///
/// ```swift
/// let model = Model(Sequential { Linear(784, 128); ReLU(); Linear(128, 10) })
/// model.compile(optimizer: Adam(model.network.trainableParameters), loss: .crossEntropy(), metrics: [Accuracy()])
/// let history = model.fit(x, y, epochs: 5, batchSize: 128, validationSplit: 0.1)
/// model.evaluate(xTest, yTest)   // ["loss": 0.33, "accuracy": 0.88]
/// ```
public final class Model {
    public let network: any Layer
    public private(set) var optimizer: (any Optimizer)?
    public private(set) var loss: Loss?
    public private(set) var metrics: [any Metric] = []
    /// When set, gradients are rescaled to at most this global L2 norm before each update
    /// (Keras' `clipnorm`, PyTorch's `clip_grad_norm_`).
    public private(set) var clipNorm: Float?
    /// Set by callbacks to end `fit` after the current epoch.
    public var stopTraining = false
    /// Where progress goes; `nil` silences it.
    public var progressOutput: ((String, _ terminator: String) -> Void)? = { text, terminator in
        print(text, terminator: terminator)
        fflush(nil)   // all streams: a live bar must show before the next step
    }

    public init(_ network: any Layer) { self.network = network }

    /// Runs the network.
    public func callAsFunction(_ input: Tensor) -> Tensor { network(input) }

    /// Chooses how to train. The optimizer must update `network`'s parameters; `clipNorm`
    /// caps the global norm of the gradients before each update.
    public func compile(optimizer: any Optimizer, loss: Loss, metrics: [any Metric] = [], clipNorm: Float? = nil) {
        require(clipNorm.map { $0 > 0 } ?? true, "compile: clipNorm must be positive, got \(clipNorm!)")
        self.optimizer = optimizer
        self.loss = loss
        self.metrics = metrics
        self.clipNorm = clipNorm
    }

    private func requireCompiled(_ op: String) -> (any Optimizer, Loss) {
        guard let optimizer, let loss else { requirementFailure("\(op): call compile(optimizer:loss:metrics:) first") }
        return (optimizer, loss)
    }

    /// One optimization step on a batch: forward, loss, backward, update. Returns the outputs
    /// (detached) and the loss value.
    @discardableResult
    public func trainStep(_ x: Tensor, _ y: Tensor) -> (outputs: Tensor, loss: Float) {
        let (optimizer, loss) = requireCompiled("trainStep")
        let outputs = network(x)
        let value = loss(outputs, y)
        optimizer.zeroGrad()
        value.backward()
        if let clipNorm { clipGradients(optimizer.parameters, maxNorm: clipNorm) }
        optimizer.step()
        return (outputs.detached(), value.scalar)
    }

    /// Trains for `epochs` passes and returns the per-epoch logs.
    ///
    /// - Parameters:
    ///   - validationSplit: the fraction of examples, taken from the end before shuffling (as
    ///     Keras does), held out to compute `val_` logs each epoch.
    ///   - validationData: an explicit validation set; takes precedence over the split.
    ///   - seed: drives shuffling.
    ///   - initialEpoch: the epoch to start at (Keras' `initial_epoch`), to resume a run saved by
    ///     `ModelCheckpoint` at the end of epoch `initialEpoch - 1`: with its weights, optimizer
    ///     state and `Random` state restored, the run continues exactly as if never stopped
    ///     (the shuffles of the skipped epochs are drawn, schedules see the true epoch).
    @discardableResult
    public func fit(
        _ x: Tensor, _ y: Tensor, epochs: Int, batchSize: Int = 32, shuffle: Bool = true,
        validationSplit: Float = 0, validationData: (Tensor, Tensor)? = nil, callbacks: [any Callback] = [],
        seed: UInt64 = 0, initialEpoch: Int = 0
    ) -> History {
        require((0..<1).contains(validationSplit), "fit: validationSplit \(validationSplit) is not in [0, 1)")
        var train = (x, y), validation = validationData
        if validation == nil && validationSplit > 0 {
            let n = x.shape[0], held = Int((Float(n) * validationSplit).rounded())
            let split = n - held
            train = (x[0..<split], y[0..<split])
            validation = (x[split..<n], y[split..<n])
        }
        return fit(TensorDataset(train.0, train.1), epochs: epochs, batchSize: batchSize, shuffle: shuffle,
                   validationData: validation, callbacks: callbacks, seed: seed, initialEpoch: initialEpoch)
    }

    /// Trains on any `Dataset` (for example an `AugmentedDataset`); otherwise as above.
    @discardableResult
    public func fit(
        _ dataset: any Dataset, epochs: Int, batchSize: Int = 32, shuffle: Bool = true,
        validationData validation: (Tensor, Tensor)? = nil, callbacks: [any Callback] = [], seed: UInt64 = 0,
        initialEpoch: Int = 0
    ) -> History {
        let (optimizer, _) = requireCompiled("fit")
        require(epochs > 0 && batchSize > 0, "fit: epochs and batchSize must be positive")
        require((0..<epochs).contains(initialEpoch), "fit: initialEpoch \(initialEpoch) is not in 0..<\(epochs)")
        let loader = DataLoader(dataset, batchSize: batchSize, shuffle: shuffle, seed: seed)
        loader.skipPasses(initialEpoch)
        var history = History()
        stopTraining = false
        for c in callbacks { c.onTrainBegin(model: self) }
        for epoch in initialEpoch..<epochs {
            for c in callbacks { c.onEpochBegin(epoch, model: self) }
            network.train()
            metrics.forEach { $0.reset() }
            let bar = ProgressBar(epoch: epoch, epochs: epochs, steps: loader.batchCount, output: progressOutput)
            var lossSum: Double = 0, seen = 0
            for (batch, (bx, by)) in loader.enumerated() {
                let (outputs, batchLoss) = trainStep(bx, by)
                let n = bx.shape[0]
                lossSum += Double(batchLoss) * Double(n)
                seen += n
                withoutGradients { metrics.forEach { $0.update(outputs: outputs, targets: by) } }
                var logs = ["loss": Float(lossSum / Double(seen))]
                for m in metrics { logs[m.name] = m.result() }
                bar.update(step: batch + 1, logs: logs)
                for c in callbacks { c.onBatchEnd(batch, logs: ["loss": batchLoss], model: self) }
                if stopTraining && !batchLoss.isFinite { break }
            }
            var logs = ["loss": Float(lossSum / Double(Swift.max(seen, 1))), "lr": optimizer.learningRate]
            for m in metrics { logs[m.name] = m.result() }
            if let (vx, vy) = validation {
                for (key, value) in evaluate(vx, vy, batchSize: Swift.max(batchSize, 256)) { logs["val_" + key] = value }
            }
            bar.finish(logs: logs)
            history.append(logs)
            for c in callbacks { c.onEpochEnd(epoch, logs: logs, model: self) }
            if stopTraining { break }
        }
        for c in callbacks { c.onTrainEnd(model: self) }
        network.train()
        return history
    }

    /// The loss and metrics over a data set, in inference mode. Keys: `loss` and metric names.
    public func evaluate(_ x: Tensor, _ y: Tensor, batchSize: Int = 256) -> [String: Float] {
        let (_, loss) = requireCompiled("evaluate")
        metrics.forEach { $0.reset() }
        var lossSum: Double = 0
        network.eval()
        defer { network.train() }
        withoutGradients {
            for (bx, by) in DataLoader(x, y, batchSize: batchSize) {
                let outputs = network(bx)
                lossSum += Double(loss(outputs, by).scalar) * Double(bx.shape[0])
                metrics.forEach { $0.update(outputs: outputs, targets: by) }
            }
        }
        var result = ["loss": Float(lossSum / Double(Swift.max(x.shape[0], 1)))]
        for m in metrics { result[m.name] = m.result() }
        return result
    }

    /// The network's outputs for `x`, in inference mode and batches.
    ///
    /// Shape: `[N, ...]` in, the network's output per example stacked out.
    public func predict(_ x: Tensor, batchSize: Int = 256) -> Tensor {
        network.eval()
        defer { network.train() }
        return withoutGradients {
            let n = x.shape[0]
            let parts = stride(from: 0, to: n, by: batchSize).map { network(x[$0..<Swift.min($0 + batchSize, n)]) }
            return Tensor.concat(parts, along: 0)
        }
    }
}
