import Foundation
import Interop
import Layers
import Optimizers
import TensorCore

/// Saving and loading trained models.
///
/// A checkpoint is a safetensors file holding every parameter under its path name (`0.weight`,
/// shape `[256, 784]`, as PyTorch's `state_dict` would name it) and, in its metadata, the
/// architecture as JSON (`architecture`) plus any caller metadata. Every file is written
/// atomically (temporary file, fsync, rename, fsync of the directory).
///
/// When an optimizer is saved, its state (moments, step count) goes into a file beside the
/// weights, `<name>.optimizer-<id>.safetensors`, with a fresh `id` at every save, written
/// *before* the weights file. The weights file names it (`optimizer_state`) and the optimizer
/// file names the id back (`checkpoint_id`); older optimizer files are removed only after the
/// new weights file is in place. So whenever a process is killed, the weights file on disk names
/// an optimizer file that exists and belongs to it: the two can never disagree.
public enum Checkpoint {
    /// A checkpoint that does not match what it is loaded into.
    public struct MismatchError: Error, CustomStringConvertible {
        public let description: String
    }

    public static let formatVersion = "swift-deep-learning/1"

    /// The stem that names a checkpoint's optimizer files: `runs/mlp` for `runs/mlp.safetensors`.
    private static func stem(_ path: String) -> String {
        path.hasSuffix(".safetensors") ? String(path.dropLast(12)) : path
    }

    /// The optimizer-state file that goes with the checkpoint at `path`, as its metadata names
    /// it; nil for a checkpoint saved without optimizer.
    public static func optimizerPath(for path: String) throws -> String? {
        try optimizerPath(for: path, metadata: SafeTensors.load(path).metadata)
    }

    private static func optimizerPath(for path: String, metadata: [String: String]) throws -> String? {
        guard let name = metadata["optimizer_state"] else { return nil }
        let expected = (stem(path) as NSString).lastPathComponent + ".optimizer-"
        guard name.hasPrefix(expected), name.hasSuffix(".safetensors"), !name.contains("/") else {
            throw MismatchError(description: "\(path): optimizer_state '\(name)' is not an optimizer file of this checkpoint")
        }
        return ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(name)
    }

    /// Writes `model`'s parameters and architecture (and `optimizer`'s state, if given), creating
    /// the file's directory first when `createDirectories` is set.
    ///
    /// With `sparse`, weights that are mostly zero (a pruned network's) are stored in
    /// `SparseStorage`'s bitmap form when at least half zeros; every loader reads it back.
    public static func save(
        _ model: any Layer, to path: String, optimizer: (any Optimizer)? = nil, metadata: [String: String] = [:],
        createDirectories: Bool = false, sparse: Bool = false
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
        var tensors = Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.parameter.value.detached()) })
        meta[SparseStorage.metadataKey] = nil
        if sparse {
            let encoded = SparseStorage.encode(tensors)
            tensors = encoded.tensors
            meta[SparseStorage.metadataKey] = encoded.metadata
        }
        var keep: String?
        if let optimizer {
            // Temporary optimizer files of killed writers carry other ids than the one written now.
            removeStaleTemporaryFiles(in: directory.isEmpty ? "." : directory,
                                      prefix: "." + (stem(path) as NSString).lastPathComponent + ".optimizer-")
            // Not the seeded generators: saving must not change what training draws next.
            var system = SystemRandomNumberGenerator()
            let id = String(UInt64.random(in: 1...UInt64.max, using: &system), radix: 16)
            let name = (stem(path) as NSString).lastPathComponent + ".optimizer-\(id).safetensors"
            let optimizerFile = (directory as NSString).appendingPathComponent(name)
            try SafeTensors.save(optimizer.stateDictionary(), metadata: ["format": formatVersion, "checkpoint_id": id],
                                 to: optimizerFile)
            meta["optimizer_state"] = name
            meta["checkpoint_id"] = id
            keep = name
        }
        try SafeTensors.save(tensors, metadata: meta, to: path)
        removeOptimizerFiles(of: path, except: keep)
    }

    /// Removes the optimizer files of earlier saves of `path` (all but `keep`).
    private static func removeOptimizerFiles(of path: String, except keep: String?) {
        let directory = (path as NSString).deletingLastPathComponent
        let prefix = (stem(path) as NSString).lastPathComponent + ".optimizer-"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory) else { return }
        for name in names where name.hasPrefix(prefix) && name.hasSuffix(".safetensors") && name != keep {
            let id = name.dropFirst(prefix.count).dropLast(12)
            guard !id.isEmpty, id.allSatisfy(\.isHexDigit) else { continue }
            try? FileManager.default.removeItem(atPath: (directory as NSString).appendingPathComponent(name))
        }
    }

    /// Copies the weights in `path` into `model`, whose parameter names and shapes must match
    /// exactly; restores `optimizer`'s state too when given (the checkpoint must have been saved
    /// with one). Nothing is changed unless everything loads. Returns the file's metadata.
    @discardableResult
    public static func load(
        _ path: String, into model: any Layer, optimizer: (any Optimizer)? = nil
    ) throws -> [String: String] {
        let (tensors, metadata) = try read(path)
        try checkParameters(tensors, of: model, path: path)
        var state: [String: Tensor]?
        if optimizer != nil {
            guard let file = try optimizerPath(for: path, metadata: metadata) else {
                throw MismatchError(description: "\(path): saved without optimizer state")
            }
            let (saved, optimizerMetadata) = try SafeTensors.load(file)
            guard optimizerMetadata["checkpoint_id"] == metadata["checkpoint_id"] else {
                throw MismatchError(description: "\(file): optimizer state of another save than \(path)")
            }
            state = saved
        }
        let previous = model.namedParameters.map { $0.parameter.value }
        for (name, p) in model.namedParameters { p.value = tensors[name]! }
        if let optimizer, let state {
            let before = optimizer.stateDictionary()
            do {
                try optimizer.loadStateDictionary(state)
            } catch {
                // Both back as they were: a state rejected halfway must not leave a mixture.
                for ((_, p), value) in zip(model.namedParameters, previous) { p.value = value }
                try? optimizer.loadStateDictionary(before)
                throw MismatchError(description: "\(path): \(error)")
            }
        }
        return metadata
    }

    /// What `loadStateDictionary` matched: PyTorch's `_IncompatibleKeys`.
    public struct StateDictionaryReport: Sendable, Equatable {
        /// The model's parameters the file did not provide (left as they were).
        public let missing: [String]
        /// The file's tensors (after renaming) the model has no parameter for.
        public let unexpected: [String]
        /// The parameters loaded.
        public let loaded: [String]
    }

    /// PyTorch's `load_state_dict` from a safetensors file, such as one written by
    /// `safetensors.torch.save_file(model.state_dict(), path)`: tensors go into the parameters of
    /// the same name (after `rename`, which may map a file's name to the model's or return nil
    /// to leave a tensor out, as for a head that is replaced). Floating-point tensors of any
    /// width (F32, F16, BF16, F64) are read as float32.
    ///
    /// With `strict`, a missing or unexpected name is an error, as in PyTorch; without, they are
    /// reported. A shape that differs is always an error, and nothing is changed unless
    /// everything loads.
    @discardableResult
    public static func loadStateDictionary(
        _ path: String, into model: any Layer, strict: Bool = true, rename: (String) -> String? = { $0 }
    ) throws -> StateDictionaryReport {
        let (stored, _) = try read(path)
        var tensors: [String: Tensor] = [:]
        for (name, t) in stored {
            guard let target = rename(name) else { continue }
            guard tensors[target] == nil else { throw MismatchError(description: "\(path): two tensors are renamed to '\(target)'") }
            tensors[target] = t
        }
        let named = model.namedParameters
        let expected = Set(named.map(\.name))
        let missing = named.map(\.name).filter { tensors[$0] == nil }, unexpected = tensors.keys.filter { !expected.contains($0) }.sorted()
        if strict && !(missing.isEmpty && unexpected.isEmpty) {
            throw MismatchError(description: "\(path): the state dictionary does not match the model"
                + (missing.isEmpty ? "" : "; missing \(missing.prefix(8))") + (unexpected.isEmpty ? "" : "; unexpected \(unexpected.prefix(8))")
                + " (load with strict: false to keep the rest)")
        }
        var loaded: [String] = []
        for (name, p) in named {
            guard let t = tensors[name] else { continue }
            guard t.shape == p.shape, t.dtype == .float32 else {
                throw MismatchError(description: "\(path): '\(name)' is \(t.dtype) \(t.shape), the model expects float32 \(p.shape)")
            }
            loaded.append(name)
        }
        for (name, p) in named where tensors[name] != nil { p.value = tensors[name]! }
        return StateDictionaryReport(missing: missing, unexpected: unexpected, loaded: loaded)
    }

    /// A checkpoint's tensors by name (sparse ones made dense again) and its metadata.
    public static func read(_ path: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        let (tensors, metadata) = try SafeTensors.load(path)
        return (try SparseStorage.decode(tensors, metadata: metadata, path: path), metadata)
    }

    /// Throws unless `tensors` holds exactly `model`'s parameters, each float32 of its shape.
    private static func checkParameters(_ tensors: [String: Tensor], of model: any Layer, path: String) throws {
        let named = model.namedParameters
        let expected = Set(named.map(\.name)), found = Set(tensors.keys)
        if expected != found {
            let missing = expected.subtracting(found).sorted(), extra = found.subtracting(expected).sorted()
            throw MismatchError(description: "\(path): parameters do not match the model"
                + (missing.isEmpty ? "" : "; missing \(missing.prefix(8))") + (extra.isEmpty ? "" : "; unexpected \(extra.prefix(8))"))
        }
        for (name, p) in named {
            let t = tensors[name]!
            guard t.shape == p.shape, t.dtype == .float32 else {
                throw MismatchError(description: "\(path): '\(name)' is \(t.dtype) \(t.shape), the model expects float32 \(p.shape)")
            }
        }
    }

    /// Rebuilds the model a checkpoint describes and loads its weights: no code needed but the
    /// layer types (built-in, or registered with `LayerRegistry`). The architecture may not ask
    /// for more parameter elements than the file's tensors hold, and must name exactly them.
    public static func loadModel(_ path: String) throws -> (model: any Layer, metadata: [String: String]) {
        let (tensors, metadata) = try read(path)
        guard let json = metadata["architecture"] else {
            throw MismatchError(description: "\(path): no architecture in the metadata; load it into a model you build")
        }
        guard let description = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: any Sendable] else {
            throw MismatchError(description: "\(path): the architecture metadata is not a JSON object")
        }
        let stored = tensors.values.reduce(0) { $0 + $1.scalarCount }
        let model: any Layer
        do {
            model = try LayerRegistry.make(from: description, maximumParameterElements: stored)
        } catch {
            throw MismatchError(description: "\(path): architecture: \(error)")
        }
        try checkParameters(tensors, of: model, path: path)
        for (name, p) in model.namedParameters { p.value = tensors[name]! }
        return (model, metadata)
    }
}

/// Saves a checkpoint after each epoch, or only when `monitor` improves.
public final class ModelCheckpoint: Callback {
    public var isPrimaryOnly: Bool { true }
    public let path: String, monitor: String, saveBestOnly: Bool, includeOptimizer: Bool
    private let mode: MonitorMode
    private var best: Float?
    /// More metadata for each save (a dataset's generator state, the recipe), read at save time.
    public var extraMetadata: () -> [String: String] = { [:] }
    /// Why the last save failed (it is also written to stderr); nil after a save that worked.
    public private(set) var lastError: (any Error)?
    /// The metadata the last save that worked wrote beside the weights (epoch, generator state,
    /// logs, `extraMetadata`), to save the same run again with more.
    public private(set) var lastMetadata: [String: String]?

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
        // The epoch finished and the process-wide generator's state: what `fit(initialEpoch:)`
        // needs to continue exactly where this epoch ended.
        var metadata = ["epoch": String(epoch), "random_state": Random.current.stateDescription]
        for (k, v) in logs { metadata[k] = String(v) }
        metadata.merge(extraMetadata()) { $1 }
        do {
            try Checkpoint.save(model.network, to: path, optimizer: includeOptimizer ? model.optimizer : nil, metadata: metadata)
            lastError = nil
            lastMetadata = metadata
        } catch {
            // Reported whatever the progress output: a checkpoint that was not written is never silent.
            lastError = error
            FileHandle.standardError.write(Data("ModelCheckpoint: could not save \(path): \(error)\n".utf8))
        }
    }
}
