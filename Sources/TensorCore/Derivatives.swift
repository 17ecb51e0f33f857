import CPUBackend

extension Op {
    /// The gradient of the loss with respect to each input, given `g`, its gradient with
    /// respect to the output `y`. A result may have the output's broadcast shape: `backward()`
    /// sums it down to the input's shape afterwards. Runs with recording off.
    func inputGradients(_ g: Tensor, output y: Tensor) -> [Tensor?] {
        switch self {
        case .unary(let f, let x):
            switch f {
            case .negate: return [-g]                                  // d(-x) = -1
            case .exp: return [g * y]                                  // d e^x = e^x
            case .log: return [g / x]                                  // d ln x = 1/x
            case .log1p: return [g / (x + 1)]                          // d ln(1+x) = 1/(1+x)
            case .sqrt: return [g * 0.5 / y]                           // d √x = 1/(2√x)
            case .sin: return [g * cos(x)]                             // d sin = cos
            case .cos: return [-g * sin(x)]                            // d cos = -sin
            case .tanh: return [g * (1 - y * y)]                       // d tanh = 1 - tanh²
            case .sigmoid: return [g * y * (1 - y)]                    // d σ = σ(1-σ)
            case .abs: return [g * sign(x)]                            // d|x| = sign x
            case .relu: return [Kernels.binary(.reluGradient, g, x, op: "relu")]  // g where x > 0
            case .erf: return [g * (2 / Float.pi.squareRoot()) * exp(-x * x)] // 2/√π e^(-x²)
            case .sign: return [nil]                                   // piecewise constant
            case .gelu: return [Kernels.binary(.geluGradient, g, x, op: "gelu")]  // Φ(x) + x φ(x)
            }
        case .binary(let f, let a, let b):
            switch f {
            case .add: return [g, g]
            case .subtract: return [g, -g]
            case .multiply: return [g * b, g * a]
            case .divide: return [g / b, -g * y / b]                   // d(a/b)/db = -a/b²
            case .pow:
                // d a^b/da = b a^(b-1), taken as 0 where b = 0 (at a = 0 the product is 0 · inf);
                // d a^b/db = a^b ln a, taken as 0 where a = 0 and b >= 0 (0 · -inf); both as in
                // PyTorch. (For a^-0.5 at a = -0, C's pow gives +inf where PyTorch's rsqrt gives -inf.)
                let da = a.node == nil ? nil : TensorCore.select(b .== 0, Tensor(0), g * b * pow(a, b - 1))
                let db = b.node == nil ? nil : TensorCore.select((a .== 0) * (b .>= 0), Tensor(0), g * y * log(a))
                return [da, db]
            case .maximum, .minimum:
                // The larger (smaller) input takes the gradient; ties split it, and where either
                // is NaN (no order) both take it in full, as in PyTorch.
                let aLoses = f == .maximum ? (a .< b) : (a .> b)
                let bLoses = f == .maximum ? (a .> b) : (a .< b)
                let ties = (a .== b) * 0.5
                return [g * (1 - aLoses - ties), g * (1 - bLoses - ties)]
            case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual, .reluGradient:
                return [nil, nil]                                      // piecewise constant; never recorded
            case .geluGradient:
                return [nil, nil]                                      // backward passes only; never recorded
            }
        case .conditional(let condition, _, _):
            let zero = Tensor(0)
            return [TensorCore.select(condition, g, zero), TensorCore.select(condition, zero, g)]
        case .reduce(let f, let x, _):
            switch f {
            case .sum:
                return [g.expanded(to: x.shape)]                       // each input adds once
            case .max, .min:
                // The extreme elements share the gradient equally. A NaN result has no extreme
                // to send it to: the slice's gradient is NaN (0/0), as in PyTorch.
                let mask = x .== y
                return [g * mask / mask.sum(along: reducedAxes(x.shape, y.shape), keepingDims: true)]
            }
        case .matmul(let a, let b, let tA, let tB):
            // C = A B: dA = G Bᵀ, dB = Aᵀ G; the transposed forms follow from Cᵀ = Bᵀ Aᵀ. A dB
            // that sums over A's rows (a weight gradient over a batch) sums in a fixed tree.
            let mm = Kernels.matmul, overRows = Kernels.matmulSummingRows
            let da: () -> Tensor, db: () -> Tensor
            switch (tA, tB) {
            case (false, false): (da, db) = ({ mm(g, b, false, true) }, { overRows(a, g) })
            case (false, true): (da, db) = ({ mm(g, b, false, false) }, { overRows(g, a) })
            case (true, false): (da, db) = ({ mm(b, g, false, true) }, { mm(a, g, false, false) })
            case (true, true): (da, db) = ({ mm(b, g, true, true) }, { mm(g, a, true, true) })
            }
            return [a.node == nil ? nil : da(), b.node == nil ? nil : db()]
        case .reshape(let x):
            return [g.reshaped(to: x.shape)]
        case .permute(_, let permutation):
            var inverse = permutation
            for (i, p) in permutation.enumerated() { inverse[p] = i }
            return [g.permuted(inverse)]
        case .expand:
            return [g]                                                 // summed by unbroadcast
        case .slice(let x, let starts, let strides):
            return [Kernels.unslice(g, into: x.shape, starts: starts, strides: strides)]
        case .pad(let x, let before):
            var result = g
            for axis in 0..<x.rank where g.shape[axis] != x.shape[axis] {
                result = result.sliced(along: axis, from: before[axis], to: before[axis] + x.shape[axis])
            }
            return [result]
        case .concat(let xs, let axis):
            return g.split(sizes: xs.map { $0.shape[axis] }, along: axis)
        case .gather(let x, let axis, let index):
            return [Tensor.zeros(x.shape).scatteringAdd(along: axis, indices: index, source: g)]
        case .scatterAdd(_, let axis, let index, _):
            return [g, g.gathering(along: axis, indices: index)]
        case .indexSelect(let x, let axis, let index):
            return [Tensor.zeros(x.shape).indexAdding(along: axis, indices: index, source: g)]
        case .indexAdd(_, let axis, let index, _):
            return [g, g.selecting(along: axis, indices: index)]
        case .conv2d(let x, let w, let geometry, let groups):
            // y = W ⋆ x as a product per group: Y = W·im2col(x), so dX = col2im(Wᵀ·dY), dW = dY·im2col(x)ᵀ.
            let (dx, dw) = Kernels.conv2dGradients(
                g, input: x, weight: w, geometry, groups: groups, forInput: x.node != nil, forWeight: w.node != nil)
            return [dx, dw]
        case .convTranspose2d(let x, let w, let geometry, let groups):
            // y = Bᵀ(x, W), the input-gradient map of a convolution: its own adjoints are the
            // convolution itself (for x) and the weight-gradient map with x in dy's place (for W).
            return [
                x.node == nil ? nil : Kernels.conv2d(g, w, geometry, groups: groups),
                w.node == nil ? nil : Kernels.conv2dGradients(
                    x, input: g, weight: w, geometry, groups: groups, forInput: false, forWeight: true).weight,
            ]
        case .batchNorm(let x, let gamma, let beta, let mean, let invstd):
            // x̂ = (x - μ)/σ, y = γx̂ + β:  dβ = Σdy, dγ = Σdy·x̂, dx = γ/σ·(dy - mean(dy) - x̂·mean(dy·x̂)).
            let (dx, dgamma, dbeta) = Kernels.batchNormBackward(
                g, x, gamma: gamma, mean: mean, invstd: invstd,
                forInput: x.node != nil, forGamma: gamma.node != nil, forBeta: beta.node != nil)
            return [dx, dgamma, dbeta]
        case .layerNorm(let x, let gamma, let beta, let mean, let invstd):
            // Per row, x̂ = (x - μ)/σ, y = γx̂ + β:  dβ = Σrows dy, dγ = Σrows dy·x̂,
            // dx = (ĝ - mean(ĝ) - x̂·mean(ĝ·x̂))/σ with ĝ = γ·dy.
            let (dx, dgamma, dbeta) = Kernels.layerNormBackward(
                g, x, gamma: gamma, mean: mean, invstd: invstd,
                forInput: x.node != nil, forGamma: gamma.node != nil, forBeta: beta.node != nil)
            return [dx, dgamma, dbeta]
        case .maxPool2d(let x, let argmax, let geometry):
            return [Kernels.maxPool2dBackward(g, argmax: argmax, geometry, inputShape: x.shape)]  // to the winner
        case .avgPool2d(let x, let geometry, let countPadding):
            // Each input in a window receives an equal share of the window's gradient.
            return [Kernels.avgPool2dBackward(g, geometry, countPadding: countPadding, inputShape: x.shape)]
        case .custom(let op, let inputs):
            return Op.customGradients(op, g, inputs: inputs, output: y)
        case .softmax(_, let axis):
            return [Kernels.softmaxBackward(g, output: y, axis: axis)]   // y (g - Σ g y)
        case .lstm(_, let w, let h0, let c0, let saved):
            // Backpropagation through time, last step first: with dc = dcₜ + dh·σ(o)(1 - tanh²cₜ),
            // dz = (dc·tanh g, dc·cₜ₋₁, dc·σ(i), dh·tanh cₜ) times each gate's derivative;
            // dhₜ₋₁ = dz Wₕₕ, dcₜ₋₁ = dc·σ(f), dxp = dz and dWₕₕ = Σ dzᵀ hₜ₋₁.
            let d = Kernels.lstmBackward(g, output: y, saved: saved, weightHH: w, h0: h0, c0: c0)
            return [d.xp, d.weightHH, d.h0, d.c0]
        }
    }

    private func reducedAxes(_ input: Shape, _ output: Shape) -> [Int] {
        (0..<input.rank).filter { input[$0] != output[$0] }
    }
}
