import Datasets
import Distributed
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
    public internal(set) var optimizer: (any Optimizer)?
    public internal(set) var loss: Loss?
    public internal(set) var metrics: [any Metric] = []
    /// When set, gradients are rescaled to at most this global L2 norm before each update
    /// (Keras' `clipnorm`, PyTorch's `clip_grad_norm_`).
    public internal(set) var clipNorm: Float?
    /// For a network with several outputs (`MultiOutputLayer`), the loss, weight and metrics of
    /// each, in the network's output order; set by `compile(optimizer:losses:...)`.
    public internal(set) var outputLosses: [OutputLoss]?
    /// Set by callbacks to end `fit` after the current epoch.
    public var stopTraining = false
    /// Where progress goes; `nil` silences it.
    public var progressOutput: ((String, _ terminator: String) -> Void)? = { text, terminator in
        print(text, terminator: terminator)
        fflush(nil)   // all streams: a live bar must show before the next step
    }

    /// The name of each class the network's outputs score, when known: predictions print them
    /// and `save` keeps them.
    public var classNames: [String]?
    /// How table columns become the network's input, for a model trained on a `Table`: `save`
    /// keeps it, and `predict(_ table:)` applies it. Setting it sets `classNames` to its classes
    /// when they are not set.
    public var tableEncoder: TableEncoder? {
        didSet { if classNames == nil { classNames = tableEncoder?.classNames } }
    }

    /// Data-parallel training over several processes, set by `distribute(over:)`.
    public internal(set) var distributed: DistributedDataParallel?
    /// The examples of the current batch over all ranks, set by `fit`'s loop when distributed.
    private var globalBatchExamples: Int?

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

    /// Chooses how to train with an optimizer named by its configuration, made over the
    /// network's trainable parameters (Keras's `compile(optimizer="adam")`).
    public func compile(optimizer: OptimizerConfiguration, loss: Loss, metrics: [any Metric] = [], clipNorm: Float? = nil) {
        compile(optimizer: optimizer.make(network.trainableParameters), loss: loss, metrics: metrics, clipNorm: clipNorm)
    }

    private func requireCompiled(_ op: String) -> (any Optimizer, Loss) {
        guard let optimizer, let loss else {
            requirementFailure(outputLosses != nil ? "\(op): this model has several outputs; give its targets by output name"
                                                   : "\(op): call compile(optimizer:loss:metrics:) first")
        }
        return (optimizer, loss)
    }

    func requireOptimizer(_ op: String) -> any Optimizer {
        guard let optimizer else { requirementFailure("\(op): call compile(optimizer:loss:metrics:) first") }
        return optimizer
    }

    /// One optimization step on a batch: forward, loss, backward, update. Returns the outputs
    /// (detached) and the loss value. `weights` (`[N]`) weights the examples' losses.
    ///
    /// Distributed, `x` is this rank's share of the batch, and the loss returned is that of the
    /// whole batch, over all ranks.
    @discardableResult
    public func trainStep(_ x: Tensor, _ y: Tensor, weights: Tensor? = nil) -> (outputs: Tensor, loss: Float) {
        let (_, loss) = requireCompiled("trainStep")
        let outputs = network(x)
        let value = weights.map { loss(outputs, y, weights: $0) } ?? loss(outputs, y)
        return (outputs.detached(), applyGradients(of: value, examples: x.shape[0]))
    }

    /// Backward from `loss` (over `examples` examples), gradients averaged over the ranks when
    /// distributed, clipped, and one optimizer step. Returns the loss (distributed: the mean
    /// over all ranks' examples).
    func applyGradients(of loss: Tensor, examples: Int) -> Float {
        let optimizer = requireOptimizer("trainStep")
        optimizer.zeroGrad()
        let value: Float
        if let distributed {
            value = distributed.backward(loss, examples: examples, totalExamples: globalBatchExamples)
        } else {
            loss.backward()
            value = loss.scalar
        }
        if let clipNorm { clipGradients(optimizer.parameters, maxNorm: clipNorm) }
        optimizer.step()
        return value
    }

    /// How much `fit` prints (Keras's `verbose`).
    public enum Verbosity: Sendable {
        /// Nothing.
        case silent
        /// One line per epoch with its logs (Keras's `verbose=2`).
        case epochLines
        /// A live bar on a terminal, redrawn as steps finish; one line per epoch otherwise
        /// (Keras's `verbose=1`).
        case progressBar
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
    ///   - verbose: what is printed while training.
    ///   - classWeight: a weight per class index (classes left out weigh 1), multiplying the
    ///     loss of each training example of that class (labels `[N]` or one-hot `[N, C]`).
    ///   - sampleWeight: a weight per training example, shape `[N]`. Weighted, the loss of a
    ///     batch is Σ wᵢ lᵢ / batch size, as Keras computes it.
    @discardableResult
    public func fit(
        _ x: Tensor, _ y: Tensor, epochs: Int, batchSize: Int = 32, shuffle: Bool = true,
        validationSplit: Float = 0, validationData: (Tensor, Tensor)? = nil, callbacks: [any Callback] = [],
        seed: UInt64 = 0, initialEpoch: Int = 0, verbose: Verbosity = .progressBar,
        classWeight: [Int: Float]? = nil, sampleWeight: Tensor? = nil
    ) -> History {
        require((0..<1).contains(validationSplit), "fit: validationSplit \(validationSplit) is not in [0, 1)")
        let weights = exampleWeights(y, classWeight: classWeight, sampleWeight: sampleWeight)
        var train = (x, y), validation = validationData, trainWeights = weights
        if validation == nil && validationSplit > 0 {
            let n = x.shape[0], held = Int((Float(n) * validationSplit).rounded())
            let split = n - held
            train = (x[0..<split], y[0..<split])
            validation = (x[split..<n], y[split..<n])
            trainWeights = weights.map { $0[0..<split] }
        }
        guard let trainWeights else {
            return fit(TensorDataset(train.0, train.1), epochs: epochs, batchSize: batchSize, shuffle: shuffle,
                       validationData: validation, callbacks: callbacks, seed: seed, initialEpoch: initialEpoch, verbose: verbose)
        }
        // Batches of example indices, from which the targets and weights are picked: the same
        // shuffles as the unweighted loop draws.
        let (targets, n) = (train.1, train.0.shape[0])
        return run(TensorDataset(train.0, Tensor(integers: Array(0..<n))), epochs: epochs, batchSize: batchSize, shuffle: shuffle,
                   validation: validation, callbacks: callbacks, seed: seed, initialEpoch: initialEpoch, verbose: verbose) { index in
            (targets.selecting(along: 0, indices: index), trainWeights.selecting(along: 0, indices: index))
        }
    }

    /// Trains on any `Dataset` (for example an `AugmentedDataset`); otherwise as above.
    @discardableResult
    public func fit(
        _ dataset: any Dataset, epochs: Int, batchSize: Int = 32, shuffle: Bool = true,
        validationData validation: (Tensor, Tensor)? = nil, callbacks: [any Callback] = [], seed: UInt64 = 0,
        initialEpoch: Int = 0, verbose: Verbosity = .progressBar
    ) -> History {
        run(dataset, epochs: epochs, batchSize: batchSize, shuffle: shuffle, validation: validation, callbacks: callbacks,
            seed: seed, initialEpoch: initialEpoch, verbose: verbose, targets: nil)
    }

    /// Each example's weight from `sampleWeight` and `classWeight`, nil when neither is given.
    private func exampleWeights(_ y: Tensor, classWeight: [Int: Float]?, sampleWeight: Tensor?) -> Tensor? {
        guard classWeight != nil || sampleWeight != nil else { return nil }
        let n = y.shape[0]
        var w = [Float](repeating: 1, count: n)
        if let sampleWeight {
            require(sampleWeight.shape == [n], "fit: sampleWeight of shape \(sampleWeight.shape) should be [\(n)], one per example")
            w = sampleWeight.scalars
        }
        if let classWeight {
            let labels = classIndices(y)
            require(y.rank == 1 || labels.count == n, "fit: classWeight needs labels [N] or one-hot targets [N, C], got \(y.shape)")
            for (i, label) in labels.enumerated() { w[i] *= classWeight[label] ?? 1 }
        }
        require(w.allSatisfy { $0.isFinite && $0 >= 0 }, "fit: example weights must be finite and >= 0")
        return Tensor(w)
    }

    /// `classWeight` that balances the classes of `labels` (`[N]`, integers), scikit-learn's
    /// `class_weight="balanced"`: N / (classes · count of the class).
    public static func balancedClassWeights(labels: Tensor, classCount: Int) -> [Int: Float] {
        let counts = labels.integers.reduce(into: [Int: Int]()) { $0[$1, default: 0] += 1 }
        let n = Float(labels.shape[0])
        return Dictionary(uniqueKeysWithValues: (0..<classCount).map { c in (c, n / (Float(classCount) * Float(Swift.max(counts[c] ?? 0, 1)))) })
    }

    /// The training loop. `targets`, when given, turns the dataset's targets (example indices)
    /// into the batch's targets and weights.
    private func run(
        _ dataset: any Dataset, epochs: Int, batchSize: Int, shuffle: Bool, validation: (Tensor, Tensor)?,
        callbacks: [any Callback], seed: UInt64, initialEpoch: Int, verbose: Verbosity,
        targets: ((Tensor) -> (Tensor, Tensor))?
    ) -> History {
        let (_, loss) = requireCompiled("fit")
        require(targets == nil || loss.canWeightExamples, "fit: loss '\(loss.name)' cannot weight examples (classWeight, sampleWeight)")
        return loop(dataset, epochs: epochs, batchSize: batchSize, shuffle: shuffle, callbacks: callbacks, seed: seed,
                    initialEpoch: initialEpoch, verbose: verbose, metrics: metrics,
                    validate: validation.map { (vx, vy) in { self.evaluateShare(vx, vy, batchSize: Swift.max(batchSize, 256)) } }) { bx, stored in
            let (by, weights) = targets.map { $0(stored) } ?? (stored, nil)
            let (outputs, batchLoss) = self.trainStep(bx, by, weights: weights)
            withoutGradients { self.metrics.forEach { $0.update(outputs: outputs, targets: by) } }
            return ["loss": batchLoss]
        }
    }

    /// The epochs of `fit`: batches from `dataset` through `step` (which trains on one and
    /// returns its mean losses by log key, `loss` first among them), the running means and
    /// `metrics` shown as it goes, `validate`'s logs (prefixed `val_`) after each epoch, the
    /// callbacks around it all.
    func loop(
        _ dataset: any Dataset, epochs: Int, batchSize: Int, shuffle: Bool, callbacks: [any Callback], seed: UInt64,
        initialEpoch: Int, verbose: Verbosity, metrics: [any Metric], validate: (() -> [String: Float])?,
        step: (_ inputs: Tensor, _ targets: Tensor) -> [String: Float]
    ) -> History {
        let optimizer = requireOptimizer("fit")
        require(epochs > 0 && batchSize > 0, "fit: epochs and batchSize must be positive")
        require((0..<epochs).contains(initialEpoch), "fit: initialEpoch \(initialEpoch) is not in 0..<\(epochs)")
        let communicator = distributed?.communicator
        let loader = DataLoader(dataset, batchSize: batchSize, shuffle: shuffle, seed: seed,
                                shard: communicator.map { DataLoader.Shard(rank: $0.rank, count: $0.size) })
        loader.skipPasses(initialEpoch)
        var history = History()
        stopTraining = false
        let output = verbose == .silent || !isPrimary ? nil : progressOutput
        let callbacks = isPrimary ? callbacks : callbacks.filter { !$0.isPrimaryOnly }
        for c in callbacks { c.onTrainBegin(model: self) }
        for epoch in initialEpoch..<epochs {
            for c in callbacks { c.onEpochBegin(epoch, model: self) }
            network.train()
            metrics.forEach { $0.reset() }
            let bar = ProgressBar(epoch: epoch, epochs: epochs, steps: loader.batchCount, live: verbose == .progressBar, output: output)
            var sums: [String: Double] = [:], seen = 0
            func means() -> [String: Float] { sums.mapValues { Float($0 / Double(Swift.max(seen, 1))) } }
            for (batch, (bx, stored)) in loader.enumerated() {
                if communicator != nil { globalBatchExamples = Swift.min(batchSize, loader.exampleCount - batch * batchSize) }
                defer { globalBatchExamples = nil }
                let losses = step(bx, stored)
                let n = bx.shape[0]
                for (key, value) in losses { sums[key, default: 0] += Double(value) * Double(n) }
                seen += n
                var logs = means()
                for m in metrics { logs[m.name] = m.result() }
                bar.update(step: batch + 1, logs: logs)
                let batchLoss = losses["loss"] ?? .nan
                for c in callbacks { c.onBatchEnd(batch, logs: ["loss": batchLoss], model: self) }
                if stopTraining && !batchLoss.isFinite { break }
            }
            var logs = means()
            for m in metrics { logs[m.name] = m.result() }
            if let communicator { logs = averaged(logs, weight: seen, over: communicator) }
            logs["lr"] = optimizer.learningRate
            if let validate {
                for (key, value) in validate() { logs["val_" + key] = value }
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
        guard let loss else { requirementFailure("evaluate: call compile(optimizer:loss:metrics:) first") }
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
            require(n > 0, "predict: no examples to predict")
            let parts = stride(from: 0, to: n, by: batchSize).map { network(x[$0..<Swift.min($0 + batchSize, n)]) }
            return Tensor.concat(parts, along: 0)
        }
    }
}

extension Model {
    /// What the network's outputs are: the compiled loss says (logits for cross-entropy on
    /// logits, probabilities for `categoricalCrossEntropy(fromLogits: false)`); uncompiled, a
    /// network ending in a softmax (a `Softmax` layer or `Dense(..., activation: .softmax)`)
    /// gives probabilities and any other gives logits.
    public var outputKind: Loss.OutputKind {
        if let kind = loss?.configuration?.outputKind { return kind }
        var last: any Layer = network
        while let sequential = last as? Sequential, let tail = sequential.layers.last { last = tail }
        if last is Softmax || (last as? Dense)?.activation == .softmax { return .probabilities }
        return .logits
    }

    /// Class probabilities for `x`: the outputs through a softmax (or a sigmoid, for one output
    /// per example) when they are logits, as they are when they are probabilities already.
    ///
    /// Shape: `[N, C]` (or `[N, 1]` for a binary model with one output).
    public func predictProbabilities(_ x: Tensor, batchSize: Int = 256) -> Tensor {
        let outputs = predict(x, batchSize: batchSize)
        switch outputKind {
        case .probabilities, .values: return outputs
        case .logProbabilities: return exp(outputs)
        case .logits: return outputs.shape[outputs.rank - 1] == 1 ? sigmoid(outputs) : softmax(outputs, along: -1)
        }
    }

    /// The most probable class of each example (for one output per example, 1 when its
    /// probability is at least 0.5).
    public func predictClasses(_ x: Tensor, batchSize: Int = 256) -> [Int] {
        let p = predictProbabilities(x, batchSize: batchSize)
        if p.shape[p.rank - 1] == 1 { return p.scalars.map { $0 >= 0.5 ? 1 : 0 } }
        return p.argmax(along: -1).integers
    }

    /// `predictClasses` as class names (`classNames`, or the indices written out).
    public func predictClassNames(_ x: Tensor, batchSize: Int = 256) -> [String] {
        predictClasses(x, batchSize: batchSize).map { c in classNames.flatMap { c < $0.count ? $0[c] : nil } ?? String(c) }
    }

    /// The features of `table` encoded by `tableEncoder` (columns matched by name, in any
    /// order); unseen categories are reported to `onUnknownCategory`.
    public func encode(_ table: Table, onUnknownCategory: (TableEncoder.UnknownCategory) -> Void = { _ in }) throws -> Tensor {
        guard let tableEncoder else { throw TableError("this model was not trained on a table (it has no table encoder)") }
        return try tableEncoder.encodeFeatures(table, onUnknownCategory: onUnknownCategory)
    }

    /// The network's outputs for the rows of `table` (for a regression, the predicted values).
    public func predict(_ table: Table, onUnknownCategory: (TableEncoder.UnknownCategory) -> Void = { _ in }) throws -> Tensor {
        predict(try encode(table, onUnknownCategory: onUnknownCategory))
    }

    /// The predicted class name of each row of `table`.
    public func predictClassNames(_ table: Table, onUnknownCategory: (TableEncoder.UnknownCategory) -> Void = { _ in }) throws -> [String] {
        predictClassNames(try encode(table, onUnknownCategory: onUnknownCategory))
    }

    /// The loss and metrics over the rows of `table`, whose label column is encoded as in training.
    public func evaluate(_ table: Table, onUnknownCategory: (TableEncoder.UnknownCategory) -> Void = { _ in }) throws -> [String: Float] {
        let x = try encode(table, onUnknownCategory: onUnknownCategory)
        return evaluate(x, try tableEncoder!.encodeLabels(table))   // encode throws without an encoder
    }

    /// Per-class precision, recall, F1 and support, and the confusion matrix, of the predicted
    /// classes of `x` against `labels` (`[N]` integers, or one-hot `[N, C]`), as scikit-learn's
    /// `classification_report` and `confusion_matrix`.
    public func classificationReport(_ x: Tensor, _ labels: Tensor) -> ClassificationReport {
        let truth = classIndices(labels)
        let predicted = predictClasses(x)
        let count = Swift.max(classNames?.count ?? 0, (truth + predicted).max().map { $0 + 1 } ?? 0)
        let names = (0..<count).map { c in classNames.flatMap { c < $0.count ? $0[c] : nil } ?? String(c) }
        return ClassificationReport(predicted: predicted, actual: truth, classNames: names)
    }
}

/// The class index of each example: `[N]` integer labels as they are, one-hot or soft targets
/// `[N, C]` by their largest entry.
private func classIndices(_ targets: Tensor) -> [Int] {
    targets.dtype.isFloatingPoint && targets.rank == 2 ? targets.argmax(along: 1).integers : targets.integers
}
