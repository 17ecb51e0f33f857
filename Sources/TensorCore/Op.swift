import CPUBackend

/// A primitive operation as recorded on the tape, with the inputs its backward rule needs.
///
/// This is the closed set of differentiable primitives; each has its rule in `Derivatives.swift`,
/// whose exhaustive `switch` makes a primitive without one a compile error. Everything else
/// (relu's relatives, logsumexp, variance, losses, layers) is a composition of these and gets its
/// gradient for free. A few are fused for speed (normalizations, softmax, the LSTM recurrence);
/// `custom` carries fused operations defined outside TensorCore (`CustomOp`).
package enum Op {
    case unary(UnaryFunction, Tensor)
    case binary(BinaryFunction, Tensor, Tensor)
    /// `condition != 0 ? a : b` elementwise (`select(_:_:_:)`, PyTorch's `torch.where`).
    case conditional(condition: Tensor, Tensor, Tensor)
    /// Reduction over sorted `axes`, keeping them with size 1.
    case reduce(ReduceFunction, Tensor, axes: [Int])
    /// `op(a) @ op(b)`, rank 2 or rank 3 with equal batch sizes; `op` transposes the last two axes.
    case matmul(Tensor, Tensor, transposeA: Bool, transposeB: Bool)
    case reshape(Tensor)
    case permute(Tensor, [Int])
    case expand(Tensor)
    /// Elements `start + i * stride` along each axis.
    case slice(Tensor, starts: [Int], strides: [Int])
    /// `before` elements are added ahead of each axis.
    case pad(Tensor, before: [Int])
    case concat([Tensor], axis: Int)
    case gather(Tensor, axis: Int, index: Tensor)
    case scatterAdd(Tensor, axis: Int, index: Tensor, source: Tensor)
    case indexSelect(Tensor, axis: Int, index: Tensor)
    case indexAdd(Tensor, axis: Int, index: Tensor, source: Tensor)
    /// Cross-correlation of NCHW input with `[OC, C/groups, kh, kw]` weights (no bias).
    case conv2d(Tensor, Tensor, ConvGeometry, groups: Int)
    /// The adjoint of `conv2d` in its input: `geometry` describes the convolution from the
    /// result's space back to the input's; weights `[C_in, C_out/groups, kh, kw]`.
    case convTranspose2d(Tensor, Tensor, ConvGeometry, groups: Int)
    /// Window maxima; `argmax` (int64, the output's shape) holds each winner's index within its
    /// image plane.
    case maxPool2d(Tensor, argmax: Tensor, ConvGeometry)
    /// Training-mode batch normalization of `[N, C, ...]` with per-channel γ and β; `mean` and
    /// `invstd` (`[C]`) are the batch statistics the forward pass used.
    case batchNorm(Tensor, gamma: Tensor, beta: Tensor, mean: Tensor, invstd: Tensor)
    /// Layer normalization over the trailing axes that γ and β span; `mean` and `invstd` are
    /// each row's statistics from the forward pass, `[rows]`.
    case layerNorm(Tensor, gamma: Tensor, beta: Tensor, mean: Tensor, invstd: Tensor)
    case avgPool2d(Tensor, ConvGeometry, countPadding: Bool)
    /// An LSTM layer's recurrence (`lstmRecurrence`); `saved` holds the activated gates and
    /// `tanh(c)`, `[T, N, 5H]`, that the forward pass computed.
    case lstm(Tensor, weightHH: Tensor, h0: Tensor, c0: Tensor, saved: Tensor)
    /// Softmax along `axis` (`softmax(_:along:)`); its backward pass needs only the output.
    case softmax(Tensor, axis: Int)
    /// A fused operation that brings its own backward rule, with the tensors it read.
    case custom(any CustomOp, [Tensor])

    /// The tensors the operation read, in the order `inputGradients` answers for them.
    var inputs: [Tensor] {
        switch self {
        case .unary(_, let x), .reduce(_, let x, _), .softmax(let x, _), .reshape(let x), .permute(let x, _),
            .expand(let x), .slice(let x, _, _), .pad(let x, _), .gather(let x, _, _),
            .indexSelect(let x, _, _), .maxPool2d(let x, _, _), .avgPool2d(let x, _, _):
            return [x]
        case .conv2d(let x, let w, _, _), .convTranspose2d(let x, let w, _, _):
            return [x, w]
        case .batchNorm(let x, let gamma, let beta, _, _), .layerNorm(let x, let gamma, let beta, _, _):
            return [x, gamma, beta]
        case .binary(_, let a, let b), .matmul(let a, let b, _, _):
            return [a, b]
        case .conditional(_, let a, let b):
            return [a, b]
        case .lstm(let xp, let w, let h0, let c0, _):
            return [xp, w, h0, c0]
        case .concat(let xs, _), .custom(_, let xs):
            return xs
        case .scatterAdd(let base, _, _, let source), .indexAdd(let base, _, _, let source):
            return [base, source]
        }
    }
}
