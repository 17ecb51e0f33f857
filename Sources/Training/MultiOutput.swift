import Datasets
import Layers
import Optimizers
import TensorCore

/// One output of a multi-output model: its loss, the weight of that loss in the total, and its
/// metrics (logged as `<output>_<metric>`).
public struct OutputLoss {
    public let name: String
    public let loss: Loss
    public let weight: Float
    public let metrics: [any Metric]
}

/// Keras's multi-output models: a network with named outputs (`MultiOutputLayer`, such as
/// `Heads`) trains through `fit` with a loss per output. The loss minimized is Σ weightᵢ·lossᵢ,
/// logged as `loss`, each output's own as `<output>_loss`, its metrics as `<output>_<metric>`
/// (and `val_` of all of them with validation data).
extension Model {
    private var multiOutput: any MultiOutputLayer {
        guard let network = network as? any MultiOutputLayer else {
            requirementFailure("this model's network has one output; compile it with loss:")
        }
        return network
    }

    /// Chooses how to train a network with several outputs: `losses` names every output,
    /// `lossWeights` scales some (others weigh 1), `metrics` lists each output's metrics.
    public func compile(optimizer: any Optimizer, losses: [String: Loss], lossWeights: [String: Float] = [:],
                        metrics: [String: [any Metric]] = [:], clipNorm: Float? = nil) {
        let names = multiOutput.outputNames
        require(Set(losses.keys) == Set(names), "compile: losses for \(losses.keys.sorted()), the outputs are \(names)")
        for key in Set(lossWeights.keys).union(metrics.keys) where !names.contains(key) {
            requirementFailure("compile: '\(key)' is not an output; the outputs are \(names)")
        }
        require(lossWeights.values.allSatisfy { $0.isFinite && $0 >= 0 }, "compile: loss weights must be finite and >= 0")
        require(clipNorm.map { $0 > 0 } ?? true, "compile: clipNorm must be positive, got \(clipNorm!)")
        self.optimizer = optimizer
        self.loss = nil
        self.metrics = []
        self.clipNorm = clipNorm
        outputLosses = names.map { OutputLoss(name: $0, loss: losses[$0]!, weight: lossWeights[$0] ?? 1, metrics: metrics[$0] ?? []) }
    }

    /// As above, with the optimizer made over the network's trainable parameters.
    public func compile(optimizer: OptimizerConfiguration, losses: [String: Loss], lossWeights: [String: Float] = [:],
                        metrics: [String: [any Metric]] = [:], clipNorm: Float? = nil) {
        compile(optimizer: optimizer.make(network.trainableParameters), losses: losses, lossWeights: lossWeights,
                metrics: metrics, clipNorm: clipNorm)
    }

    private func requireOutputs(_ op: String, _ targets: [String: Tensor]) -> [OutputLoss] {
        guard let outputLosses else { requirementFailure("\(op): call compile(optimizer:losses:...) first") }
        require(Set(targets.keys) == Set(outputLosses.map(\.name)),
                "\(op): targets for \(targets.keys.sorted()), the outputs are \(outputLosses.map(\.name))")
        return outputLosses
    }

    /// The weighted total and each output's loss of one batch.
    private func losses(_ outputs: [Tensor], _ targets: [Tensor], _ specs: [OutputLoss]) -> (total: Tensor, each: [Tensor]) {
        let each = zip(specs, zip(outputs, targets)).map { spec, pair in spec.loss(pair.0, pair.1) }
        let total = zip(specs, each).map { $0.weight * $1 }.dropFirst().reduce(specs[0].weight * each[0], +)
        return (total, each)
    }

    /// Trains a multi-output model: `targets` holds each output's targets by name (`[N, ...]` each).
    @discardableResult
    public func fit(
        _ x: Tensor, _ targets: [String: Tensor], epochs: Int, batchSize: Int = 32, shuffle: Bool = true,
        validationData: (Tensor, [String: Tensor])? = nil, callbacks: [any Callback] = [], seed: UInt64 = 0,
        initialEpoch: Int = 0, verbose: Verbosity = .progressBar
    ) -> History {
        let specs = requireOutputs("fit", targets)
        let n = x.shape[0]
        for (name, t) in targets { require(t.rank > 0 && t.shape[0] == n, "fit: '\(name)' targets \(t.shape) for \(n) examples") }
        let ordered = specs.map { targets[$0.name]! }
        let network = multiOutput
        let allMetrics = specs.flatMap { spec in spec.metrics.map { PrefixedMetric(spec.name, $0) } }
        return loop(TensorDataset(x, Tensor(integers: Array(0..<n))), epochs: epochs, batchSize: batchSize, shuffle: shuffle,
                    callbacks: callbacks, seed: seed, initialEpoch: initialEpoch, verbose: verbose, metrics: allMetrics,
                    validate: validationData.map { (vx, vy) in {
                        // Every rank evaluates the whole set with rank 0's running statistics.
                        self.distributed?.synchronizeBuffers()
                        return self.evaluate(vx, vy, batchSize: Swift.max(batchSize, 256))
                    } }) { bx, index in
            let by = ordered.map { $0.selecting(along: 0, indices: index) }
            let outputs = network.outputs(bx)
            let (total, each) = losses(outputs, by, specs)
            let totalLoss = applyGradients(of: total, examples: bx.shape[0])
            withoutGradients {
                for (spec, (o, t)) in zip(specs, zip(outputs, by)) { spec.metrics.forEach { $0.update(outputs: o.detached(), targets: t) } }
            }
            var logs = ["loss": totalLoss]
            for (spec, l) in zip(specs, each) { logs[spec.name + "_loss"] = l.scalar }
            return logs
        }
    }

    /// The total and per-output losses and metrics over a data set, in inference mode.
    public func evaluate(_ x: Tensor, _ targets: [String: Tensor], batchSize: Int = 256) -> [String: Float] {
        let specs = requireOutputs("evaluate", targets)
        let network = multiOutput
        let n = x.shape[0]
        specs.forEach { $0.metrics.forEach { $0.reset() } }
        var sums = [Double](repeating: 0, count: specs.count + 1)
        self.network.eval()
        defer { self.network.train() }
        withoutGradients {
            for start in stride(from: 0, to: n, by: batchSize) {
                let range = start..<Swift.min(start + batchSize, n)
                let by = specs.map { targets[$0.name]![range] }
                let outputs = network.outputs(x[range])
                let (total, each) = losses(outputs, by, specs)
                let count = Double(range.count)
                sums[0] += Double(total.scalar) * count
                for (i, l) in each.enumerated() { sums[i + 1] += Double(l.scalar) * count }
                for (spec, (o, t)) in zip(specs, zip(outputs, by)) { spec.metrics.forEach { $0.update(outputs: o, targets: t) } }
            }
        }
        var result = ["loss": Float(sums[0] / Double(Swift.max(n, 1)))]
        for (i, spec) in specs.enumerated() {
            result[spec.name + "_loss"] = Float(sums[i + 1] / Double(Swift.max(n, 1)))
            for m in spec.metrics { result[spec.name + "_" + m.name] = m.result() }
        }
        return result
    }

    /// Each output of a multi-output model for `x`, by name, in inference mode and batches.
    public func predictOutputs(_ x: Tensor, batchSize: Int = 256) -> [String: Tensor] {
        let network = multiOutput
        self.network.eval()
        defer { self.network.train() }
        return withoutGradients {
            let n = x.shape[0]
            require(n > 0, "predictOutputs: no examples to predict")
            let parts = stride(from: 0, to: n, by: batchSize).map { network.outputs(x[$0..<Swift.min($0 + batchSize, n)]) }
            return Dictionary(uniqueKeysWithValues: network.outputNames.enumerated().map { i, name in
                (name, Tensor.concat(parts.map { $0[i] }, along: 0))
            })
        }
    }
}

/// A metric logged under its output's name (`class_accuracy`).
private final class PrefixedMetric: Metric {
    let base: any Metric
    let name: String
    init(_ prefix: String, _ base: any Metric) { self.base = base; self.name = prefix + "_" + base.name }
    func update(outputs: Tensor, targets: Tensor) {}   // updated by the step, per output
    func result() -> Float { base.result() }
    func reset() { base.reset() }
}
