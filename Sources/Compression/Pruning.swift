import Foundation
import Layers
import TensorCore

/// Magnitude pruning: the smallest weights of a network's `Linear` and `Conv2D` layers set to
/// zero, and kept there by masks that are applied again after every optimizer step.
///
/// ```swift
/// let masks = Pruning.magnitudeMasks(for: network, sparsity: 0.9)   // global, one-shot
/// masks.apply()                                                       // zeros the weights
/// model.fit(x, y, epochs: 5, callbacks: [PruningCallback(masks)])     // they stay zero
/// ```
///
/// Biases and normalization parameters are never pruned (as in PyTorch's `prune` examples and
/// TensorFlow Model Optimization's defaults): they are a sliver of the parameters.
public enum Pruning {
    /// How the weights to prune are ranked: across all prunable layers at once (`global`, the
    /// default: PyTorch's `global_unstructured`), or each layer to the same sparsity.
    public enum Scope: String, Sendable, CaseIterable {
        case global, perLayer = "per-layer"
    }

    /// The weights magnitude pruning acts on, by `namedParameters` path: each `Linear`'s and
    /// `Conv2D`'s weight, at any depth.
    public static func prunableWeights(of network: any Layer) -> [(name: String, parameter: Parameter)] {
        var weights = Set<ObjectIdentifier>()
        func visit(_ layer: any Layer) {
            if let linear = layer as? Linear { weights.insert(ObjectIdentifier(linear.weight)) }
            if let conv = layer as? Conv2D { weights.insert(ObjectIdentifier(conv.weight)) }
            for (_, child) in layer.namedChildren { visit(child) }
        }
        visit(network)
        return network.namedParameters.filter { weights.contains(ObjectIdentifier($0.parameter)) }
    }

    /// Masks that zero the `sparsity` fraction (in [0, 1]) of `network`'s prunable weights with
    /// the smallest magnitudes, ranked globally or per layer. Ties are broken by position, so
    /// the same weights give the same masks. Weights already zero rank first.
    public static func magnitudeMasks(for network: any Layer, sparsity: Float, scope: Scope = .global) -> PruningMasks {
        require(sparsity.isFinite && (0...1).contains(sparsity), "Pruning: sparsity must be in [0, 1], got \(sparsity)")
        let weights = prunableWeights(of: network)
        let values = weights.map { $0.parameter.value.scalars }
        var keep = values.map { [Bool](repeating: true, count: $0.count) }
        func prune(_ entries: [(layer: Int, index: Int)], magnitude: (Int, Int) -> Float) {
            let count = Int((Float(entries.count) * sparsity).rounded())
            guard count > 0 else { return }
            let order = entries.indices.sorted {
                let (a, b) = (entries[$0], entries[$1])
                let (ma, mb) = (magnitude(a.layer, a.index), magnitude(b.layer, b.index))
                return ma != mb ? ma < mb : $0 < $1
            }
            for i in order.prefix(count) { keep[entries[i].layer][entries[i].index] = false }
        }
        let magnitude = { (l: Int, i: Int) in abs(values[l][i]) }
        switch scope {
        case .global:
            prune(values.indices.flatMap { l in values[l].indices.map { (l, $0) } }, magnitude: magnitude)
        case .perLayer:
            for l in values.indices { prune(values[l].indices.map { (l, $0) }, magnitude: magnitude) }
        }
        return PruningMasks(zip(weights, keep).map { w, k in
            (w.name, w.parameter, Tensor(k.map { $0 ? 1 : 0 }, shape: w.parameter.shape))
        })
    }

    /// The fraction of `network`'s prunable weights that are exactly zero.
    public static func sparsity(of network: any Layer) -> Float {
        let weights = prunableWeights(of: network)
        let total = weights.reduce(0) { $0 + $1.parameter.value.scalarCount }
        guard total > 0 else { return 0 }
        let zeros = weights.reduce(0) { n, w in n + w.parameter.value.withUnsafeBufferPointer { $0.count { $0 == 0 } } }
        return Float(zeros) / Float(total)
    }
}

/// The masks of pruned weights: 1 where a weight is kept, 0 where it is pruned.
public struct PruningMasks {
    public let entries: [(name: String, parameter: Parameter, mask: Tensor)]

    public init(_ entries: [(name: String, parameter: Parameter, mask: Tensor)]) {
        for e in entries {
            require(e.mask.shape == e.parameter.shape, "PruningMasks: the mask of '\(e.name)' is \(e.mask.shape), its weight \(e.parameter.shape)")
        }
        self.entries = entries
    }

    /// Multiplies each weight by its mask, in place (outside the tape).
    public func apply() {
        for e in entries {
            e.parameter.updateInPlace { value in
                e.mask.withUnsafeBufferPointer { m in
                    value.withUnsafeMutableBufferPointer { w in for i in w.indices where m[i] == 0 { w[i] = 0 } }
                }
            }
        }
    }

    /// The fraction of masked-out weights over all entries.
    public var sparsity: Float {
        let total = entries.reduce(0) { $0 + $1.mask.scalarCount }
        guard total > 0 else { return 0 }
        let zeros = entries.reduce(0) { n, e in n + e.mask.withUnsafeBufferPointer { $0.count { $0 == 0 } } }
        return Float(zeros) / Float(total)
    }
}

/// Zhu & Gupta's gradual pruning schedule (TensorFlow Model Optimization's `PolynomialDecay`):
/// sparsity rises from `initial` at step `begin` to `final` at step `end` as
/// s(t) = final + (initial - final) (1 - (t - begin) / (end - begin))^power, pruning fast while
/// the network has many redundant weights and slowly near the end.
public struct PolynomialSparsitySchedule: Sendable, Equatable {
    public let initial, final: Float
    public let begin, end: Int
    public let power: Float

    public init(initial: Float = 0, final: Float, begin: Int = 0, end: Int, power: Float = 3) {
        require((0...1).contains(initial) && (0...1).contains(final), "PolynomialSparsitySchedule: sparsities must be in [0, 1]")
        require(begin >= 0 && end > begin, "PolynomialSparsitySchedule: need 0 <= begin < end, got \(begin), \(end)")
        require(power.isFinite && power > 0, "PolynomialSparsitySchedule: power must be > 0")
        (self.initial, self.final, self.begin, self.end, self.power) = (initial, final, begin, end, power)
    }

    /// The target sparsity at optimizer step `step` (held at `initial` before `begin` and at
    /// `final` after `end`).
    public func sparsity(at step: Int) -> Float {
        let progress = Float(Swift.min(Swift.max(step - begin, 0), end - begin)) / Float(end - begin)
        return final + (initial - final) * powf(1 - progress, power)
    }
}
