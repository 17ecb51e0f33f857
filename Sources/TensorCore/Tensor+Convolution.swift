import CPUBackend

/// How much zero padding surrounds the input of a convolution or pooling window.
public enum Padding: Sendable, Equatable {
    /// None: the output shrinks by the window's reach.
    case valid
    /// Enough that the output has ⌈input / stride⌉ positions; an odd total puts the extra row or
    /// column at the bottom/right (as TensorFlow does, and PyTorch for stride 1).
    case same
    /// Explicit amounts on each side.
    case explicit(top: Int, bottom: Int, left: Int, right: Int)

    /// The same padding on both sides of each axis, like PyTorch's `padding=(h, w)`.
    public static func symmetric(_ height: Int, _ width: Int) -> Padding {
        .explicit(top: height, bottom: height, left: width, right: width)
    }

    package func resolve(height: Int, width: Int, kernel: (Int, Int), stride: (Int, Int), dilation: (Int, Int))
        -> (top: Int, bottom: Int, left: Int, right: Int)
    {
        switch self {
        case .valid: return (0, 0, 0, 0)
        case .explicit(let t, let b, let l, let r): return (t, b, l, r)
        case .same:
            func split(_ size: Int, _ k: Int, _ s: Int, _ d: Int) -> (Int, Int) {
                let out = (size + s - 1) / s
                let total = Swift.max((out - 1) * s + (k - 1) * d + 1 - size, 0)
                return (total / 2, total - total / 2)
            }
            let (t, b) = split(height, kernel.0, stride.0, dilation.0)
            let (l, r) = split(width, kernel.1, stride.1, dilation.1)
            return (t, b, l, r)
        }
    }
}

/// Why a window op cannot run over an input.
package struct WindowProblem: Error { package let message: String }

/// The geometry of a window of `kernel` sliding by `stride` (with `dilation`) over an NCHW input
/// of `shape`, padded by `padding`, or why there is none: a size that is not positive, negative
/// padding, or a window that does not fit. Shared by the ops (which stop on a problem) and by
/// shape inference (which reports it).
package func windowGeometry(
    shape: Shape, kernel: (Int, Int), stride: (Int, Int), padding: Padding, dilation: (Int, Int)
) -> Result<ConvGeometry, WindowProblem> {
    guard shape.rank == 4 else { return .failure(WindowProblem(message: "input must be [N, C, H, W], got \(shape)")) }
    guard kernel.0 > 0 && kernel.1 > 0 && stride.0 > 0 && stride.1 > 0 && dilation.0 > 0 && dilation.1 > 0 else {
        return .failure(WindowProblem(message: "kernel size, stride and dilation must be positive"))
    }
    let (h, w) = (shape[2], shape[3])
    let p = padding.resolve(height: h, width: w, kernel: kernel, stride: stride, dilation: dilation)
    guard p.top >= 0 && p.bottom >= 0 && p.left >= 0 && p.right >= 0 else {
        return .failure(WindowProblem(message: "padding must not be negative"))
    }
    let g = ConvGeometry(
        batch: shape[0], channels: shape[1], height: h, width: w, kernelHeight: kernel.0, kernelWidth: kernel.1,
        strideHeight: stride.0, strideWidth: stride.1, padTop: p.top, padBottom: p.bottom, padLeft: p.left,
        padRight: p.right, dilationHeight: dilation.0, dilationWidth: dilation.1)
    guard g.outputHeight > 0 && g.outputWidth > 0 else {
        return .failure(WindowProblem(message:
            "a \(kernel.0)x\(kernel.1) window (dilation \(dilation.0)x\(dilation.1)) does not fit input \(shape) with padding \(p)"))
    }
    return .success(g)
}

/// Builds and checks the geometry of a window op over an NCHW input.
func windowGeometry(
    _ x: Tensor, kernel: (Int, Int), stride: (Int, Int), padding: Padding, dilation: (Int, Int), op: String
) -> ConvGeometry {
    switch windowGeometry(shape: x.shape, kernel: kernel, stride: stride, padding: padding, dilation: dilation) {
    case .success(let g): return g
    case .failure(let problem): requirementFailure("\(op): \(problem.message)")
    }
}

/// 2-D cross-correlation (what deep-learning frameworks call convolution), NCHW.
///
/// Shape: input `[N, C, H, W]`, weight `[OC, C / groups, kh, kw]`, bias `[OC]` ->
/// `[N, OC, OH, OW]` with `OH = (H + pads - dilation·(kh-1) - 1) / stride + 1`.
public func conv2d(
    _ input: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
    padding: Padding = .valid, dilation: (Int, Int) = (1, 1), groups: Int = 1
) -> Tensor {
    input.requireFloat("conv2d")
    weight.requireFloat("conv2d")
    require(weight.rank == 4, "conv2d: weight must be [OC, C/groups, kh, kw], got \(weight.shape)")
    require(groups > 0 && input.rank == 4 && input.shape[1] % groups == 0 && weight.shape[0] % groups == 0,
                 "conv2d: \(input.shape) with \(groups) groups: channels must divide evenly")
    require(
        input.shape[1] / groups == weight.shape[1],
        "conv2d: input \(input.shape) x weight \(weight.shape): \(input.shape[1]) channels / \(groups) groups = \(input.shape[1] / groups), weight expects \(weight.shape[1])")
    let g = windowGeometry(input, kernel: (weight.shape[2], weight.shape[3]), stride: stride, padding: padding,
                           dilation: dilation, op: "conv2d")
    var y = Kernels.conv2d(input, weight, g, groups: groups)
    y.record(.conv2d(input, weight, g, groups: groups), if: input.node != nil || weight.node != nil)
    guard let bias else { return y }
    require(bias.shape == [weight.shape[0]], "conv2d: bias \(bias.shape) should be [\(weight.shape[0])]")
    return y + bias.reshaped(to: [1, -1, 1, 1])
}

/// 1-D cross-correlation, NCL: `conv2d` over a height of 1.
///
/// Shape: input `[N, C, L]`, weight `[OC, C / groups, k]`, bias `[OC]` -> `[N, OC, OL]`.
public func conv1d(
    _ input: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Padding = .valid,
    dilation: Int = 1, groups: Int = 1
) -> Tensor {
    require(input.rank == 3 && weight.rank == 3, "conv1d: input [N, C, L] and weight [OC, C/groups, k] expected, got \(input.shape) and \(weight.shape)")
    let padding2d: Padding
    switch padding {
    case .explicit(_, _, let l, let r): padding2d = .explicit(top: 0, bottom: 0, left: l, right: r)
    default: padding2d = padding
    }
    let y = conv2d(input.unsqueezed(at: 2), weight.unsqueezed(at: 2), bias: bias, stride: (1, stride),
                   padding: padding2d, dilation: (1, dilation), groups: groups)
    return y.squeezed(at: 2)
}

/// The maximum of each window, NCHW; padding never wins.
///
/// Shape: `[N, C, H, W] -> [N, C, OH, OW]`; `stride` defaults to the kernel size.
public func maxPool2d(
    _ input: Tensor, kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: Padding = .valid,
    dilation: (Int, Int) = (1, 1)
) -> Tensor {
    input.requireFloat("maxPool2d")
    let g = windowGeometry(input, kernel: kernelSize, stride: stride ?? kernelSize, padding: padding,
                           dilation: dilation, op: "maxPool2d")
    var (y, argmax) = Kernels.maxPool2d(input, g)
    y.record(.maxPool2d(input, argmax: argmax, g), if: input.node != nil)
    return y
}

/// The mean of each window, NCHW. With `countIncludePad` (PyTorch's default) padded zeros count
/// in the divisor.
///
/// Shape: `[N, C, H, W] -> [N, C, OH, OW]`; `stride` defaults to the kernel size.
public func avgPool2d(
    _ input: Tensor, kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: Padding = .valid,
    countIncludePad: Bool = true
) -> Tensor {
    input.requireFloat("avgPool2d")
    let g = windowGeometry(input, kernel: kernelSize, stride: stride ?? kernelSize, padding: padding,
                           dilation: (1, 1), op: "avgPool2d")
    var y = Kernels.avgPool2d(input, g, countPadding: countIncludePad)
    y.record(.avgPool2d(input, g, countPadding: countIncludePad), if: input.node != nil)
    return y
}

/// `maxPool2d` over NCL input. Shape: `[N, C, L] -> [N, C, OL]`.
public func maxPool1d(_ input: Tensor, kernelSize: Int, stride: Int? = nil, padding: Int = 0) -> Tensor {
    require(input.rank == 3, "maxPool1d: input must be [N, C, L], got \(input.shape)")
    return maxPool2d(input.unsqueezed(at: 2), kernelSize: (1, kernelSize), stride: (1, stride ?? kernelSize),
                     padding: .explicit(top: 0, bottom: 0, left: padding, right: padding)).squeezed(at: 2)
}

/// `avgPool2d` over NCL input. Shape: `[N, C, L] -> [N, C, OL]`.
public func avgPool1d(_ input: Tensor, kernelSize: Int, stride: Int? = nil, padding: Int = 0, countIncludePad: Bool = true) -> Tensor {
    require(input.rank == 3, "avgPool1d: input must be [N, C, L], got \(input.shape)")
    return avgPool2d(input.unsqueezed(at: 2), kernelSize: (1, kernelSize), stride: (1, stride ?? kernelSize),
                     padding: .explicit(top: 0, bottom: 0, left: padding, right: padding),
                     countIncludePad: countIncludePad).squeezed(at: 2)
}

/// 2-D transposed convolution ("deconvolution"), NCHW: the gradient of `conv2d` with respect
/// to its input, used to upsample (PyTorch's `conv_transpose2d`).
///
/// Shape: input `[N, C_in, H, W]`, weight `[C_in, C_out / groups, kh, kw]`, bias `[C_out]` ->
/// `[N, C_out, (H-1)·stride - 2·padding + dilation·(kh-1) + outputPadding + 1, ...]`.
public func convTranspose2d(
    _ input: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
    outputPadding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1
) -> Tensor {
    input.requireFloat("convTranspose2d")
    weight.requireFloat("convTranspose2d")
    require(input.rank == 4 && weight.rank == 4 && input.shape[1] == weight.shape[0] && weight.shape[0] % groups == 0,
                 "convTranspose2d: input \(input.shape) x weight \(weight.shape): input channels must equal weight.shape[0], divisible by groups \(groups)")
    require(outputPadding.0 < Swift.max(stride.0, dilation.0) && outputPadding.1 < Swift.max(stride.1, dilation.1),
                 "convTranspose2d: outputPadding \(outputPadding) must be smaller than stride or dilation")
    let (h, w) = (input.shape[2], input.shape[3])
    let (kh, kw) = (weight.shape[2], weight.shape[3])
    let outH = (h - 1) * stride.0 - 2 * padding.0 + dilation.0 * (kh - 1) + outputPadding.0 + 1
    let outW = (w - 1) * stride.1 - 2 * padding.1 + dilation.1 * (kw - 1) + outputPadding.1 + 1
    let outChannels = weight.shape[1] * groups
    require(outH > 0 && outW > 0, "convTranspose2d: output would be empty for input \(input.shape)")
    // The convolution this transposes runs from the output's space to the input's; the output
    // padding sits as extra padding at the bottom/right so that its output size is exactly H x W.
    let g = ConvGeometry(
        batch: input.shape[0], channels: outChannels, height: outH, width: outW, kernelHeight: kh, kernelWidth: kw,
        strideHeight: stride.0, strideWidth: stride.1, padTop: padding.0, padBottom: padding.0 - outputPadding.0,
        padLeft: padding.1, padRight: padding.1 - outputPadding.1, dilationHeight: dilation.0, dilationWidth: dilation.1)
    require(g.outputHeight == h && g.outputWidth == w, "convTranspose2d: inconsistent geometry for input \(input.shape)")
    var y = Kernels.conv2dGradients(input, input: nil, weight: weight, g, groups: groups, forInput: true, forWeight: false).input!
    y.record(.convTranspose2d(input, weight, g, groups: groups), if: input.node != nil || weight.node != nil)
    guard let bias else { return y }
    require(bias.shape == [outChannels], "convTranspose2d: bias \(bias.shape) should be [\(outChannels)]")
    return y + bias.reshaped(to: [1, -1, 1, 1])
}
