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
    precondition(input.rank >= 2 && gamma.shape == [input.shape[1]] && beta.shape == [input.shape[1]],
                 "batchNormalized: input \(input.shape) needs gamma and beta of shape [\(input.rank >= 2 ? input.shape[1] : 0)], got \(gamma.shape) and \(beta.shape)")
    precondition(input.scalarCount / input.shape[1] > 1,
                 "batchNormalized: input \(input.shape) has one value per channel; batch statistics need more")
    var (y, mean, variance, invstd) = Kernels.batchNorm(input, gamma: gamma, beta: beta, epsilon: epsilon)
    y.record(.batchNorm(input, gamma: gamma, beta: beta, mean: mean, invstd: invstd),
             if: input.node != nil || gamma.node != nil || beta.node != nil)
    return (y, Tensor(mean), Tensor(variance))
}
