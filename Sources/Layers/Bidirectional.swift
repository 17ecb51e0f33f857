import TensorCore

/// Runs one recurrent layer forward in time and another over the reversed sequences (each
/// reversed within its own length), and concatenates their outputs, like Keras' `Bidirectional`
/// and PyTorch's `bidirectional=True`.
///
/// Shape: `[N, T, input] -> [N, T, 2 * hidden]` with `returnSequences`, else `[N, 2 * hidden]`
/// (the forward direction's last state beside the backward direction's, which has read the
/// whole sequence from the end).
public final class Bidirectional: Layer {
    public let forward: Recurrent, backward: Recurrent

    public init(forward: Recurrent, backward: Recurrent) {
        require(forward.inputSize == backward.inputSize && forward.returnSequences == backward.returnSequences,
                     "Bidirectional: the two directions must take the same input and both return sequences or not")
        self.forward = forward
        self.backward = backward
    }

    /// Two independently initialized copies of the layer `make` builds.
    public convenience init(_ make: () -> Recurrent) {
        self.init(forward: make(), backward: make())
    }

    public func callAsFunction(_ input: Tensor) -> Tensor { run(input).output }

    /// Both directions; `states` holds the forward direction's layers, then the backward's.
    public func run(_ input: Tensor, lengths: [Int]? = nil) -> RecurrentOutput {
        require(input.rank == 3, "Bidirectional: input must be [N, T, features], got \(input.shape)")
        let ahead = forward.run(input, lengths: lengths)
        let behind = backward.run(reversedInTime(input, lengths: lengths), lengths: lengths)
        let backwardOutput = backward.returnSequences ? reversedInTime(behind.output, lengths: lengths) : behind.output
        return RecurrentOutput(output: Tensor.concat([ahead.output, backwardOutput], along: -1),
                               states: ahead.states + behind.states)
    }

    public var description: String { "Bidirectional(\(forward))" }
}

/// `x[n, t]` moved to `x[n, lengths[n] - 1 - t]` for `t < lengths[n]`; padding steps stay put.
///
/// Shape: `[N, T, F] -> [N, T, F]`.
public func reversedInTime(_ x: Tensor, lengths: [Int]? = nil) -> Tensor {
    let (n, steps, features) = (x.shape[0], x.shape[1], x.shape[2])
    let lengths = lengths ?? Array(repeating: steps, count: n)
    var index = [Int](repeating: 0, count: n * steps * features)
    for b in 0..<n {
        for t in 0..<steps {
            let source = t < lengths[b] ? lengths[b] - 1 - t : t
            for f in 0..<features { index[(b * steps + t) * features + f] = source }
        }
    }
    return x.gathering(along: 1, indices: Tensor(integers: index, shape: x.shape))
}

extension Bidirectional: ConfigurableLayer {
    public static let typeName = "Bidirectional"
    public var configuration: [String: any Sendable] {
        get throws { ["forward": try LayerRegistry.describe(forward), "backward": try LayerRegistry.describe(backward)] }
    }
    public convenience init(configuration c: [String: any Sendable]) throws {
        func direction(_ name: String) throws -> Recurrent {
            guard let layer = try LayerRegistry.make(nested: c[name], field: name, of: Self.typeName) as? Recurrent
            else { throw LayerConfigurationError.missingField(type: Self.typeName, field: name) }
            return layer
        }
        let (forward, backward) = (try direction("forward"), try direction("backward"))
        guard forward.inputSize == backward.inputSize && forward.returnSequences == backward.returnSequences else {
            throw LayerConfigurationError.missingField(type: Self.typeName, field: "backward (matching the forward direction)")
        }
        self.init(forward: forward, backward: backward)
    }
}
