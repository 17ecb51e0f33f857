import Foundation
import Datasets
import Interop
import Layers
import Optimizers
import TensorCore

/// The compile settings a saved model keeps (metadata key `model_compile`).
struct SavedCompilation: Codable {
    struct SavedMetric: Codable { var name: String; var classCount: Int? }
    /// Nil for an optimizer that cannot describe itself.
    var optimizer: OptimizerConfiguration?
    /// Nil for a custom loss, found again by `lossName` among the `customLosses` of `load`.
    var loss: Loss.Configuration?
    var lossName: String
    var metrics: [SavedMetric]
    var clipNorm: Float?
    /// A multi-output model's losses, weights and metrics, by output (then `loss` is unused).
    struct SavedOutput: Codable { var name: String; var loss: Loss.Configuration?; var lossName: String; var weight: Float; var metrics: [SavedMetric] }
    var outputs: [SavedOutput]?
}

private func saved(_ metrics: [any Metric]) -> [SavedCompilation.SavedMetric] {
    metrics.map { .init(name: $0.name, classCount: ($0 as? ClassificationScore)?.classCount) }
}

extension Model {
    /// Keras's `model.save`: one checkpoint holding the whole model, so that `Model.load` gives
    /// it back ready to `predict`, `evaluate` and continue `fit`: the weights and architecture
    /// (every built-in or registered layer, the `Normalization` statistics among them), the
    /// compile configuration (optimizer kind and hyperparameters, loss, metrics) and, with
    /// `includeOptimizer`, the optimizer's state, plus `tableEncoder` and `classNames`. Written
    /// as `Checkpoint.save` writes: atomically, the optimizer state in its own file beside it.
    public func save(to path: String, includeOptimizer: Bool = true, metadata: [String: String] = [:],
                     createDirectories: Bool = false) throws {
        var meta = metadata
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func json<T: Encodable>(_ value: T) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
        let configuration = (optimizer as? any ConfigurableOptimizer)?.configuration
        if let loss {
            meta["model_compile"] = try json(SavedCompilation(
                optimizer: configuration, loss: loss.configuration, lossName: loss.name, metrics: saved(metrics), clipNorm: clipNorm))
        } else if let outputLosses {
            meta["model_compile"] = try json(SavedCompilation(
                optimizer: configuration, loss: nil, lossName: "", metrics: [], clipNorm: clipNorm,
                outputs: outputLosses.map { .init(name: $0.name, loss: $0.loss.configuration, lossName: $0.loss.name, weight: $0.weight,
                                                  metrics: saved($0.metrics)) }))
        }
        if let tableEncoder { meta["table_encoder"] = try json(tableEncoder) }
        if let classNames { meta["class_names"] = try json(classNames) }
        try Checkpoint.save(network, to: path, optimizer: includeOptimizer ? optimizer : nil, metadata: meta,
                            createDirectories: createDirectories)
    }

    /// Keras's `load_model`: the model `save` wrote, compiled as it was (when its optimizer,
    /// loss and metrics are built in, or given here by name: Keras's `custom_objects`), with its
    /// optimizer state when saved. Everything read is checked first: a file that does not hold a
    /// model this library can rebuild is an error naming what is wrong, never a crash.
    public static func load(from path: String, customLosses: [Loss] = [], customMetrics: [any Metric] = []) throws -> Model {
        let (network, metadata) = try Checkpoint.loadModel(path)
        let model = Model(network)
        func fail(_ message: String) -> Checkpoint.MismatchError { .init(description: "\(path): \(message)") }
        func decode<T: Decodable>(_ type: T.Type, _ key: String) throws -> T? {
            guard let text = metadata[key] else { return nil }
            do { return try JSONDecoder().decode(T.self, from: Data(text.utf8)) } catch {
                throw fail("\(key) is not valid: \(error)")
            }
        }
        if let names = try decode([String].self, "class_names") {
            guard names.count >= 1, names.count <= 1 << 20, Set(names).count == names.count else {
                throw fail("class_names must be distinct, 1 to 2^20 of them")
            }
            model.classNames = names
        }
        if let encoder = try decode(TableEncoder.self, "table_encoder") {
            do { try encoder.validate() } catch { throw fail("\(error)") }
            model.tableEncoder = encoder
            if let names = encoder.classNames, model.classNames.map({ $0 != names }) ?? false {
                throw fail("class_names and the table encoder's classes differ")
            }
            model.classNames = model.classNames ?? encoder.classNames
            if let shaped = network as? any ShapeInferring {
                let output: [Int]
                do { output = try shaped.outputShape(for: [1, encoder.width]) } catch {
                    throw fail("the network does not take the table encoder's \(encoder.width) values: \(error)")
                }
                let expected = encoder.classNames.map { $0.count == 2 && output.last == 1 ? 1 : $0.count } ?? 1
                guard output.count == 2, output[1] == expected else {
                    throw fail("the network gives outputs of shape \(output), the table encoder expects [N, \(expected)]")
                }
            }
        }
        guard let saved = try decode(SavedCompilation.self, "model_compile") else { return model }
        func loss(_ configuration: Loss.Configuration?, _ name: String) throws -> Loss {
            if let configuration {
                do { try configuration.validate() } catch { throw fail("\(error)") }
                return Loss(configuration)
            }
            guard let custom = customLosses.first(where: { $0.name == name }) else {
                throw fail("the loss '\(name)' is not built in; pass it in customLosses")
            }
            return custom
        }
        func metrics(_ list: [SavedCompilation.SavedMetric]) throws -> [any Metric] {
            try list.map { m in
                if let custom = customMetrics.first(where: { $0.name == m.name }) { return custom }
                guard let metric = builtInMetric(named: m.name, classCount: m.classCount) else {
                    throw fail("the metric '\(m.name)' is not built in; pass it in customMetrics")
                }
                return metric
            }
        }
        if let clipNorm = saved.clipNorm, !(clipNorm.isFinite && clipNorm > 0) { throw fail("clipNorm \(clipNorm) is not > 0") }
        model.clipNorm = saved.clipNorm
        if let outputs = saved.outputs {
            guard let network = network as? any MultiOutputLayer, network.outputNames == outputs.map(\.name) else {
                throw fail("the saved losses are for outputs \(outputs.map(\.name)), which the network does not have")
            }
            guard outputs.allSatisfy({ $0.weight.isFinite && $0.weight >= 0 }) else { throw fail("loss weights must be finite and >= 0") }
            model.outputLosses = try outputs.map { OutputLoss(name: $0.name, loss: try loss($0.loss, $0.lossName), weight: $0.weight,
                                                               metrics: try metrics($0.metrics)) }
        } else {
            model.loss = try loss(saved.loss, saved.lossName)
            model.metrics = try metrics(saved.metrics)
        }
        if let configuration = saved.optimizer {
            do { try configuration.validate() } catch { throw fail("\(error)") }
            let optimizer = configuration.make(network.trainableParameters)
            if metadata["optimizer_state"] != nil { try Checkpoint.load(path, into: network, optimizer: optimizer) }
            model.optimizer = optimizer
        }
        return model
    }
}
