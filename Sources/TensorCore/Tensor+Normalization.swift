/// Training-mode batch normalization of `[N, C, ...]` input over every axis but the channels
/// (axis 1): `y = (x - μ) / √(σ² + ε) · γ + β` with the batch's mean μ and biased variance σ²,
/// fused into one primitive with a closed-form backward pass.
///
/// Shape: input `[N, C, ...]`, gamma and beta `[C]` -> output like the input; `mean` and
/// `variance` (biased) are `[C]`, for running statistics.
public func batchNormalized(_ input: Tensor, gamma: Tensor, beta: Tensor, epsilon: Float = 1e-5)
    -> (output: Tensor, mean: Tensor, variance: Tensor)
{
    input.requireFloat("batchNormalized")
    require(input.rank >= 2 && gamma.shape == [input.shape[1]] && beta.shape == [input.shape[1]],
                 "batchNormalized: input \(input.shape) needs gamma and beta of shape [\(input.rank >= 2 ? input.shape[1] : 0)], got \(gamma.shape) and \(beta.shape)")
    require(input.scalarCount / input.shape[1] > 1,
                 "batchNormalized: input \(input.shape) has one value per channel; batch statistics need more")
    var (y, mean, variance, invstd) = Kernels.batchNorm(input, gamma: gamma, beta: beta, epsilon: epsilon)
    y.record(.batchNorm(input, gamma: gamma, beta: beta, mean: mean, invstd: invstd),
             if: input.node != nil || gamma.node != nil || beta.node != nil)
    return (y, mean, variance)
}

/// Layer normalization over the trailing axes that `gamma` spans (PyTorch's `F.layer_norm` with
/// `normalized_shape = gamma.shape`): each slice over those axes is normalized by its own mean
/// and biased variance, `y = (x - μ) / √(σ² + ε) · γ + β`, in one fused primitive.
///
/// Shape: input `[..., *S]`, gamma and beta `S` -> output like the input.
public func layerNormalized(_ input: Tensor, gamma: Tensor, beta: Tensor, epsilon: Float = 1e-5) -> Tensor {
    input.requireFloat("layerNormalized")
    let k = gamma.rank
    require(gamma.shape == beta.shape && k >= 1 && input.rank >= k && Array(input.shape.suffix(k)) == gamma.shape.dimensions,
                 "layerNormalized: input \(input.shape) should end in gamma's shape \(gamma.shape), and beta's \(beta.shape) should equal it")
    var (y, mean, invstd) = Kernels.layerNorm(input, gamma: gamma, beta: beta, epsilon: epsilon)
    y.record(.layerNorm(input, gamma: gamma, beta: beta, mean: mean, invstd: invstd),
             if: input.node != nil || gamma.node != nil || beta.node != nil)
    return y
}
