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

    /// Whether optimizers update this parameter and `backward()` computes its gradient. Always
    /// false for a buffer.
    public var isTrainable: Bool {
        didSet {
            if isBuffer { isTrainable = false }
            storedValue.requiresGrad = isTrainable
        }
    }

    /// A statistic the layer keeps rather than a weight it learns (batch norm's running mean,
    /// `Normalization`'s mean and variance; PyTorch's buffers): saved in checkpoints, never
    /// trained, left alone by `setTrainable`.
    public let isBuffer: Bool

    /// The factor on the optimizer's learning rate for this parameter (PyTorch's parameter
    /// groups with their own `lr`, Caffe's `lr_mult`): 0.1 on a pretrained backbone fine-tunes
    /// it ten times slower than a new head. Finite and >= 0.
    public var learningRateScale: Float = 1 {
        didSet { require(learningRateScale.isFinite && learningRateScale >= 0, "Parameter: learningRateScale must be finite and >= 0, got \(learningRateScale)") }
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

    public init(_ value: Tensor, trainable: Bool = true, buffer: Bool = false) {
        require(value.dtype == .float32, "Parameter: expected float32, got \(value.dtype)")
        var v = value.detached()
        v.requiresGrad = trainable && !buffer
        self.storedValue = v
        self.isBuffer = buffer
        self.isTrainable = trainable && !buffer
    }

    /// The gradient accumulated by `backward()`, if any. Shape: `value.shape`.
    public var grad: Tensor? {
        get { value.grad }
        set { value.grad = newValue }
    }

    public var shape: Shape { value.shape }

    public var description: String { "Parameter(shape: \(shape), trainable: \(isTrainable))" }
}
