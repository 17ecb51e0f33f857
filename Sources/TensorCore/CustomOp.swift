/// A fused operation that brings its own forward and backward computation: the extension point
/// for kernels defined outside TensorCore (in other targets, or by users), recorded on the tape
/// like a primitive without editing `Op`'s switch (candle's `CustomOp`, PyTorch's
/// `autograd.Function`).
///
/// `forward` runs with recording off and may use any tensor operations or raw buffers;
/// `gradients` runs inside `backward()`, also with recording off, and returns one gradient per
/// input (nil where an input gets none). A gradient may have the output's broadcast shape: it is
/// summed down to its input's shape afterwards.
///
/// ```swift
/// struct Cube: CustomOp {
///     var name: String { "cube" }
///     func forward(_ inputs: [Tensor]) -> Tensor { inputs[0] * inputs[0] * inputs[0] }
///     func gradients(_ g: Tensor, inputs: [Tensor], output: Tensor) -> [Tensor?] { [g * 3 * inputs[0] * inputs[0]] }
/// }
/// let y = Tensor.custom(Cube(), [x])   // y.backward() uses Cube.gradients
/// ```
public protocol CustomOp {
    /// The name used in error messages.
    var name: String { get }
    /// The result of the operation on `inputs`.
    func forward(_ inputs: [Tensor]) -> Tensor
    /// The gradient with respect to each input, given `gradient`, the gradient with respect to `output`.
    func gradients(_ gradient: Tensor, inputs: [Tensor], output: Tensor) -> [Tensor?]
}

extension Op {
    /// `op`'s gradients, checked to answer for each input.
    static func customGradients(_ op: any CustomOp, _ g: Tensor, inputs: [Tensor], output: Tensor) -> [Tensor?] {
        let gradients = op.gradients(g, inputs: inputs, output: output)
        guard gradients.count == inputs.count else {
            fatalError("\(op.name): gradients returned \(gradients.count) gradient(s) for \(inputs.count) input(s)")
        }
        return gradients
    }
}

extension Tensor {
    /// The result of `op` on `inputs`, recorded on the tape (when an input requires gradients) so
    /// that `backward()` calls `op.gradients`.
    ///
    /// Shape: whatever `op.forward` returns.
    public static func custom(_ op: any CustomOp, _ inputs: [Tensor]) -> Tensor {
        var y = withoutGradients { op.forward(inputs) }.detached()
        y.record(.custom(op, inputs), if: inputs.contains { $0.node != nil })
        return y
    }
}
