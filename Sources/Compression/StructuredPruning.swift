import Layers
import TensorCore

/// Structured pruning: whole convolution channels and dense units removed, giving a smaller
/// dense network that runs faster with the ordinary kernels (Li et al., "Pruning Filters for
/// Efficient ConvNets", 2017: the filters with the smallest L1 norms go).
///
/// A unit of layer L can go when L (a `Conv2D` without groups, or a `Linear`) is followed, in a
/// `Sequential`, by another such layer C, with only layers between that act on each channel
/// alone: activations, dropout, pooling, `BatchNorm` (whose channels are removed too) and
/// `Flatten` (between a convolution and a dense layer, each channel's block of columns). Then
/// L loses output units, C the matching inputs. The last layer keeps its outputs: they are
/// the network's.
///
/// ```swift
/// let smaller = try StructuredPruning.prune(network, fraction: 0.5, units: [.convolutionChannels])
/// ```
public enum StructuredPruning {
    /// Which layers lose units.
    public struct Units: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        public static let convolutionChannels = Units(rawValue: 1)
        public static let denseUnits = Units(rawValue: 2)
        public static let all: Units = [.convolutionChannels, .denseUnits]
    }

    /// A network structured pruning cannot take.
    public struct Unsupported: Error, CustomStringConvertible {
        public let description: String
    }

    /// What was removed from one layer.
    public struct Removal: Sendable, Equatable {
        /// The layer's position in the `Sequential`.
        public let layer: Int
        public let before: Int, after: Int
    }

    /// A copy of `network` (a `Sequential`) with `fraction` (in [0, 1)) of the output units of
    /// each prunable layer of the chosen kinds removed (rounded; at least one unit stays), those
    /// with the smallest L1 norms of their weights. Each removal is reported in `removed`.
    /// `network` itself is not changed. Throws when nothing in it can be pruned.
    public static func prune(_ network: any Layer, fraction: Float, units: Units = .all) throws
        -> (network: Sequential, removed: [Removal])
    {
        require(fraction.isFinite && (0..<1).contains(fraction), "StructuredPruning: fraction must be in [0, 1), got \(fraction)")
        guard let sequential = network as? Sequential else {
            throw Unsupported(description: "structured pruning needs a Sequential network, got \(type(of: network))")
        }
        var layers = (0..<sequential.count).map { sequential[$0] }
        var removed: [Removal] = []
        for producer in layers.indices {
            let kind: Units
            switch layers[producer] {
            case let conv as Conv2D where conv.groups == 1: kind = .convolutionChannels
            case is Linear: kind = .denseUnits
            default: continue
            }
            guard units.contains(kind), let path = consumerPath(layers, from: producer) else { continue }
            let count = outputs(of: layers[producer])
            let keepCount = Swift.max(1, count - Int((Float(count) * fraction).rounded()))
            guard keepCount < count else { continue }
            let keep = strongest(layers[producer], keeping: keepCount)
            layers[producer] = slicedOutputs(layers[producer], keep)
            for i in path.normalizations { layers[i] = slicedChannels(layers[i] as! BatchNorm, keep) }
            layers[path.consumer] = slicedInputs(layers[path.consumer], keep, columnsPerUnit: path.columnsPerUnit)
            removed.append(Removal(layer: producer, before: count, after: keepCount))
        }
        guard !removed.isEmpty else {
            throw Unsupported(description: "no layer of \(network.description.split(separator: "\n")[0]) can lose units: each needs a Conv2D or Linear after it")
        }
        let result = Sequential(layers)
        if sequential.allLayers.allSatisfy({ ($0 as? any ModeDependentLayer)?.isTraining != true }) { result.eval() }
        return (result, removed)
    }

    /// Where a unit of `layers[producer]` is read: the next Conv2D or Linear, the batch norms on
    /// the way, and how many consumer inputs each unit feeds (Flatten: the spatial positions).
    /// Nil when another kind of layer, or the end, comes first.
    private static func consumerPath(_ layers: [any Layer], from producer: Int)
        -> (consumer: Int, normalizations: [Int], columnsPerUnit: Int)?
    {
        var normalizations: [Int] = [], flattened = false
        let units = outputs(of: layers[producer])
        for i in (producer + 1)..<layers.count {
            switch layers[i] {
            case let bn as BatchNorm:
                guard bn.features == units, !flattened else { return nil }
                normalizations.append(i)
            case is ReLU, is LeakyReLU, is ELU, is GELU, is Sigmoid, is Tanh, is Dropout:
                continue
            case is MaxPool2D, is AvgPool2D:
                guard layers[producer] is Conv2D, !flattened else { return nil }
            case is Flatten:
                guard layers[producer] is Conv2D, !flattened else { return nil }
                flattened = true
            case let conv as Conv2D:
                guard conv.groups == 1, conv.inChannels == units, !flattened, layers[producer] is Conv2D else { return nil }
                return (i, normalizations, 1)
            case let linear as Linear:
                if layers[producer] is Linear { return linear.inFeatures == units ? (i, normalizations, 1) : nil }
                guard flattened, linear.inFeatures % units == 0 else { return nil }
                return (i, normalizations, linear.inFeatures / units)
            default:
                return nil
            }
        }
        return nil
    }

    private static func outputs(of layer: any Layer) -> Int {
        (layer as? Conv2D)?.outChannels ?? (layer as! Linear).outFeatures
    }

    /// The `count` output units with the largest L1 norms, in their original order.
    private static func strongest(_ layer: any Layer, keeping count: Int) -> [Int] {
        let weight = (layer as? Conv2D)?.weight ?? (layer as! Linear).weight
        let units = weight.shape[0], perUnit = weight.value.scalarCount / units
        let norms = weight.value.withUnsafeBufferPointer { w in
            (0..<units).map { u in w[(u * perUnit)..<((u + 1) * perUnit)].reduce(Float(0)) { $0 + abs($1) } }
        }
        let ranked = (0..<units).sorted { norms[$0] != norms[$1] ? norms[$0] > norms[$1] : $0 < $1 }
        return ranked.prefix(count).sorted()
    }

    /// `tensor`'s slices `keep` along axis `axis`, each `inner` elements after that axis.
    private static func gather(_ tensor: Tensor, _ keep: [Int], axis: Int) -> Tensor {
        let d = tensor.shape.dimensions
        let outer = d[..<axis].reduce(1, *), length = d[axis], inner = d[(axis + 1)...].reduce(1, *)
        var result: [Float] = []
        result.reserveCapacity(outer * keep.count * inner)
        tensor.withUnsafeBufferPointer { t in
            for o in 0..<outer { for k in keep { result.append(contentsOf: t[((o * length + k) * inner)..<((o * length + k + 1) * inner)]) } }
        }
        var shape = d
        shape[axis] = keep.count
        return Tensor(result, shape: Shape(shape))
    }

    private static func slicedOutputs(_ layer: any Layer, _ keep: [Int]) -> any Layer {
        if let conv = layer as? Conv2D {
            let copy = Conv2D(conv.inChannels, keep.count, kernelSize: conv.kernelSize, stride: conv.stride, padding: conv.padding,
                              dilation: conv.dilation, bias: conv.bias != nil, activation: conv.activation)
            copy.weight.value = gather(conv.weight.value, keep, axis: 0)
            if let bias = conv.bias { copy.bias!.value = gather(bias.value, keep, axis: 0) }
            return copy
        }
        let linear = layer as! Linear
        let copy = Linear(linear.inFeatures, keep.count, bias: linear.bias != nil)
        copy.weight.value = gather(linear.weight.value, keep, axis: 0)
        if let bias = linear.bias { copy.bias!.value = gather(bias.value, keep, axis: 0) }
        return copy
    }

    private static func slicedInputs(_ layer: any Layer, _ keep: [Int], columnsPerUnit: Int) -> any Layer {
        if let conv = layer as? Conv2D {
            let copy = Conv2D(keep.count, conv.outChannels, kernelSize: conv.kernelSize, stride: conv.stride, padding: conv.padding,
                              dilation: conv.dilation, bias: conv.bias != nil, activation: conv.activation)
            copy.weight.value = gather(conv.weight.value, keep, axis: 1)
            if let bias = conv.bias { copy.bias!.value = bias.value }
            return copy
        }
        let linear = layer as! Linear
        let columns = keep.flatMap { k in (k * columnsPerUnit)..<((k + 1) * columnsPerUnit) }
        let copy = Linear(columns.count, linear.outFeatures, bias: linear.bias != nil)
        copy.weight.value = gather(linear.weight.value, columns, axis: 1)
        if let bias = linear.bias { copy.bias!.value = bias.value }
        return copy
    }

    private static func slicedChannels(_ bn: BatchNorm, _ keep: [Int]) -> BatchNorm {
        let copy = BatchNorm(keep.count, momentum: bn.momentum, epsilon: bn.epsilon)
        for (to, from) in [(copy.weight, bn.weight), (copy.bias, bn.bias), (copy.running_mean, bn.running_mean), (copy.running_var, bn.running_var)] {
            to.value = gather(from.value, keep, axis: 0)
        }
        return copy
    }
}
