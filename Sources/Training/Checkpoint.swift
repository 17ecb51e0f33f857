import Foundation
import Interop
import Layers
import Optimizers
import TensorCore

/// Saving and loading trained models.
///
/// A checkpoint is a safetensors file holding every parameter under its path name (`0.weight`,
/// shape `[256, 784]`, as PyTorch's `state_dict` would name it) and, in its metadata, the
/// architecture as JSON (`architecture`) plus any caller metadata. When an optimizer is saved,
/// its state (moments, step count) goes beside it in `<name>.optimizer.safetensors`. Every file
/// is written atomically.
public enum Checkpoint {
    /// A checkpoint that does not match what it is loaded into.
    public struct MismatchError: Error, CustomStringConvertible {
        public let description: String
    }

    public static let formatVersion = "swift-deep-learning/1"

    /// The optimizer-state file that goes with a checkpoint.
    public static func optimizerPath(for path: String) -> String {
        let base = path.hasSuffix(".safetensors") ? String(path.dropLast(12)) : path
        return base + ".optimizer.safetensors"
    }

    /// Writes `model`'s parameters and architecture (and `optimizer`'s state, if given), creating
    /// the file's directory first when `createDirectories` is set.
    public static func save(
        _ model: any Layer, to path: String, optimizer: (any Optimizer)? = nil, metadata: [String: String] = [:],
        createDirectories: Bool = false
    ) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if createDirectories && !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        var meta = metadata
        meta["format"] = formatVersion
        // A layer that cannot describe itself is an error, not a checkpoint without architecture.
        let json = try JSONSerialization.data(withJSONObject: try LayerRegistry.describe(model), options: [.sortedKeys])
        meta["architecture"] = String(decoding: json, as: UTF8.self)
        let tensors = Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.parameter.value.detached()) })
        try SafeTensors.save(tensors, metadata: meta, to: path)
        if let optimizer {
            try SafeTensors.save(optimizer.stateDictionary(), metadata: ["format": formatVersion], to: optimizerPath(for: path))
        }
    }

    /// Copies the weights in `path` into `model`, whose parameter names and shapes must match
    /// exactly; restores `optimizer`'s state too when given. Returns the file's metadata.
    @discardableResult
    public static func load(
        _ path: String, into model: any Layer, optimizer: (any Optimizer)? = nil
    ) throws -> [String: String] {
        let (tensors, metadata) = try SafeTensors.load(path)
        let named = model.namedParameters
        let expected = Set(named.map(\.name)), found = Set(tensors.keys)
        if expected != found {
            let missing = expected.subtracting(found).sorted(), extra = found.subtracting(expected).sorted()
            throw MismatchError(description: "\(path): parameters do not match the model"
                + (missing.isEmpty ? "" : "; missing \(missing)") + (extra.isEmpty ? "" : "; unexpected \(extra)"))
        }
        for (name, p) in named {
            let t = tensors[name]!
            guard t.shape == p.shape, t.dtype == .float32 else {
                throw MismatchError(description: "\(path): '\(name)' is \(t.dtype) \(t.shape), the model expects float32 \(p.shape)")
            }
        }
        for (name, p) in named { p.value = tensors[name]! }
        if let optimizer {
            try optimizer.loadStateDictionary(try SafeTensors.load(optimizerPath(for: path)).tensors)
        }
        return metadata
    }

    /// Rebuilds the model a checkpoint describes and loads its weights: no code needed but the
    /// layer types (built-in, or registered with `LayerRegistry`).
    public static func loadModel(_ path: String) throws -> (model: any Layer, metadata: [String: String]) {
        let (_, metadata) = try SafeTensors.load(path)
        guard let json = metadata["architecture"] else {
            throw MismatchError(description: "\(path): no architecture in the metadata; load it into a model you build")
        }
        guard let description = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw MismatchError(description: "\(path): the architecture metadata is not a JSON object")
        }
        let model = try LayerRegistry.make(from: description.mapValues { $0 as! any Sendable })
        try load(path, into: model)
        return (model, metadata)
    }
}

/// Saves a checkpoint after each epoch, or only when `monitor` improves.
public final class ModelCheckpoint: Callback {
    public let path: String, monitor: String, saveBestOnly: Bool, includeOptimizer: Bool
    private let mode: MonitorMode
    private var best: Float?

    public init(path: String, monitor: String = "val_loss", saveBestOnly: Bool = false, mode: MonitorMode = .auto,
                includeOptimizer: Bool = false) {
        self.path = path
        self.monitor = monitor
        self.saveBestOnly = saveBestOnly
        self.mode = mode.resolved(for: monitor)
        self.includeOptimizer = includeOptimizer
    }

    public func onEpochEnd(_ epoch: Int, logs: [String: Float], model: Model) {
        if saveBestOnly {
            guard let value = logs[monitor], best.map({ mode.isImprovement(value, over: $0, minDelta: 0) }) ?? true
            else { return }
            best = value
        }
        var metadata = ["epoch": String(epoch)]
        for (k, v) in logs { metadata[k] = String(v) }
        do {
            try Checkpoint.save(model.network, to: path, optimizer: includeOptimizer ? model.optimizer : nil, metadata: metadata)
        } catch {
            model.progressOutput?("ModelCheckpoint: could not save \(path): \(error)", "\n")
        }
    }
}
