import TensorCore

/// A trainable tensor owned by a layer: a reference, so layers, optimizers and checkpoints all
/// see the same weights (shared weights are simply the same `Parameter` in two places).
public final class Parameter: CustomStringConvertible {
    /// The current value, a leaf of the tape while trainable.
    public var value: Tensor {
        get { storedValue }
        set {
            storedValue = newValue
            storedValue.requiresGrad = isTrainable
        }
    }

    /// Whether optimizers update this parameter and `backward()` computes its gradient.
    public var isTrainable: Bool {
        didSet { storedValue.requiresGrad = isTrainable }
    }

    /// `value` itself: a mutation through `value` is a get and a set, so the elements would be
    /// shared (and copied on write) during it; updates in place go through `updateInPlace`.
    private var storedValue: Tensor

    /// Runs `body` on the value where it is stored, so that writing its elements copies nothing
    /// (optimizer steps). `body` must keep the shape and dtype.
    package func updateInPlace<R>(_ body: (inout Tensor) -> R) -> R {
        let (shape, dtype) = (storedValue.shape, storedValue.dtype)
        defer { require(storedValue.shape == shape && storedValue.dtype == dtype, "Parameter: an in-place update changed the value's shape or dtype") }
        return body(&storedValue)
    }

    public init(_ value: Tensor, trainable: Bool = true) {
        require(value.dtype == .float32, "Parameter: expected float32, got \(value.dtype)")
        var v = value.detached()
        v.requiresGrad = trainable
        self.storedValue = v
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
