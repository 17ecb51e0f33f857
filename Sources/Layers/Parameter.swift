import TensorCore

/// A trainable tensor owned by a layer: a reference, so layers, optimizers and checkpoints all
/// see the same weights (shared weights are simply the same `Parameter` in two places).
public final class Parameter: CustomStringConvertible {
    /// The current value, a leaf of the tape while trainable.
    public var value: Tensor {
        didSet { value.requiresGrad = isTrainable }
    }

    /// Whether optimizers update this parameter and `backward()` computes its gradient.
    public var isTrainable: Bool {
        didSet { value.requiresGrad = isTrainable }
    }

    public init(_ value: Tensor, trainable: Bool = true) {
        precondition(value.dtype == .float32, "Parameter: expected float32, got \(value.dtype)")
        var v = value.detached()
        v.requiresGrad = trainable
        self.value = v
        self.isTrainable = trainable
    }

    /// The gradient accumulated by `backward()`, if any. Shape: `value.shape`.
    public var grad: Tensor? {
        get { value.grad }
        set { value.grad = newValue }
    }

    public var shape: Shape { value.shape }

    public var description: String { "Parameter(shape: \(shape), trainable: \(isTrainable))" }
}
