import TensorCore

/// A 2-D convolution layer over NCHW input (PyTorch's `Conv2d`).
///
/// Shape: `[N, inChannels, H, W] -> [N, outChannels, OH, OW]`. Weight `[out, in / groups, kh, kw]`,
/// initialized like PyTorch: weight and bias from U(-1/√fanIn, 1/√fanIn). `activation` is applied
/// to the output (Keras's `activation=`; a softmax is over the channels).
public final class Conv2D: Layer {
    public let inChannels, outChannels, groups: Int
    public let kernelSize, stride, dilation: (Int, Int)
    public let padding: Padding
    public let activation: Activation
    public let weight: Parameter
    public let bias: Parameter?

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: Padding = .valid, dilation: (Int, Int) = (1, 1), groups: Int = 1, bias: Bool = true,
                activation: Activation = .linear, weightInitializer: Initializer = .fanInUniform) {
        self.activation = activation
        require(inChannels % groups == 0 && outChannels % groups == 0,
                     "Conv2D: \(inChannels) => \(outChannels) channels do not divide into \(groups) groups")
        self.inChannels = inChannels; self.outChannels = outChannels; self.groups = groups
        self.kernelSize = kernelSize; self.stride = stride; self.padding = padding; self.dilation = dilation
        let shape: Shape = [outChannels, inChannels / groups, kernelSize.0, kernelSize.1]
        weight = Parameter(weightInitializer.make(shape))
        self.bias = bias ? Parameter(Initializer.fanInUniform.make([outChannels], fanIn: Initializer.fans(shape).fanIn)) : nil
    }

    /// A square kernel.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1,
                            padding: Padding = .valid, dilation: Int = 1, groups: Int = 1, bias: Bool = true,
                            activation: Activation = .linear) {
        self.init(inChannels, outChannels, kernelSize: (kernelSize, kernelSize), stride: (stride, stride),
                  padding: padding, dilation: (dilation, dilation), groups: groups, bias: bias, activation: activation)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        require(input.rank == 4 && input.shape[1] == inChannels,
                     "\(description): input of shape \(input.shape) should be [N, \(inChannels), H, W]")
        let output = conv2d(input, weight.value, bias: bias?.value, stride: stride, padding: padding, dilation: dilation, groups: groups)
        return activation(output, softmaxAxis: 1)
    }

    public var description: String {
        var extras = ["kernel: \(kernelSize.0)x\(kernelSize.1)"]
        if stride != (1, 1) { extras.append("stride: \(stride.0)x\(stride.1)") }
        if padding != .valid { extras.append("padding: \(padding.text)") }
        if dilation != (1, 1) { extras.append("dilation: \(dilation.0)x\(dilation.1)") }
        if groups != 1 { extras.append("groups: \(groups)") }
        extras.append("bias: \(bias != nil)")
        if activation != .linear { extras.append(activation.rawValue) }
        return "Conv2D(\(inChannels) => \(outChannels), " + extras.joined(separator: ", ") + ")"
    }
}

/// A 1-D convolution layer over NCL input (PyTorch's `Conv1d`).
///
/// Shape: `[N, inChannels, L] -> [N, outChannels, OL]`. Weight `[out, in / groups, k]`.
/// `activation` is applied to the output (a softmax is over the channels).
public final class Conv1D: Layer {
    public let inChannels, outChannels, kernelSize, stride, dilation, groups: Int
    public let padding: Padding
    public let activation: Activation
    public let weight: Parameter
    public let bias: Parameter?

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Padding = .valid,
                dilation: Int = 1, groups: Int = 1, bias: Bool = true, activation: Activation = .linear) {
        self.activation = activation
        require(inChannels % groups == 0 && outChannels % groups == 0,
                     "Conv1D: \(inChannels) => \(outChannels) channels do not divide into \(groups) groups")
        self.inChannels = inChannels; self.outChannels = outChannels; self.kernelSize = kernelSize
        self.stride = stride; self.dilation = dilation; self.groups = groups; self.padding = padding
        let shape: Shape = [outChannels, inChannels / groups, kernelSize]
        weight = Parameter(Initializer.fanInUniform.make(shape))
        self.bias = bias ? Parameter(Initializer.fanInUniform.make([outChannels], fanIn: Initializer.fans(shape).fanIn)) : nil
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        require(input.rank == 3 && input.shape[1] == inChannels,
                     "\(description): input of shape \(input.shape) should be [N, \(inChannels), L]")
        let output = conv1d(input, weight.value, bias: bias?.value, stride: stride, padding: padding, dilation: dilation, groups: groups)
        return activation(output, softmaxAxis: 1)
    }

    public var description: String {
        "Conv1D(\(inChannels) => \(outChannels), kernel: \(kernelSize), stride: \(stride), padding: \(padding.text), bias: \(bias != nil)"
            + (activation == .linear ? "" : ", \(activation.rawValue)") + ")"
    }
}

extension Padding {
    /// `valid`, `same`, or `t,b,l,r`.
    var text: String {
        switch self {
        case .valid: return "valid"
        case .same: return "same"
        case .explicit(let t, let b, let l, let r): return t == b && l == r ? "\(t)x\(l)" : "\(t),\(b),\(l),\(r)"
        }
    }
}

/// A 2-D transposed convolution layer over NCHW input (PyTorch's `ConvTranspose2d`), for
/// learned upsampling in decoders and generators.
///
/// Shape: `[N, inChannels, H, W] -> [N, outChannels, (H-1)·stride - 2·padding + dilation·(k-1) +
/// outputPadding + 1, ...]`. Weight `[in, out / groups, kh, kw]`.
public final class ConvTranspose2D: Layer {
    public let inChannels, outChannels, groups: Int
    public let kernelSize, stride, padding, outputPadding, dilation: (Int, Int)
    public let weight: Parameter
    public let bias: Parameter?

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), outputPadding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1),
                groups: Int = 1, bias: Bool = true) {
        require(inChannels % groups == 0 && outChannels % groups == 0,
                     "ConvTranspose2D: \(inChannels) => \(outChannels) channels do not divide into \(groups) groups")
        self.inChannels = inChannels; self.outChannels = outChannels; self.groups = groups
        self.kernelSize = kernelSize; self.stride = stride; self.padding = padding
        self.outputPadding = outputPadding; self.dilation = dilation
        let shape: Shape = [inChannels, outChannels / groups, kernelSize.0, kernelSize.1]
        // PyTorch computes this layer's fan-in from weight.shape[1] (out / groups) x kernel.
        let fanIn = Initializer.fans(shape).fanIn
        weight = Parameter(Initializer.fanInUniform.make(shape))
        self.bias = bias ? Parameter(Initializer.fanInUniform.make([outChannels], fanIn: fanIn)) : nil
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        require(input.rank == 4 && input.shape[1] == inChannels,
                     "\(description): input of shape \(input.shape) should be [N, \(inChannels), H, W]")
        return convTranspose2d(input, weight.value, bias: bias?.value, stride: stride, padding: padding,
                               outputPadding: outputPadding, dilation: dilation, groups: groups)
    }

    public var description: String {
        "ConvTranspose2D(\(inChannels) => \(outChannels), kernel: \(kernelSize.0)x\(kernelSize.1), stride: \(stride.0)x\(stride.1), padding: \(padding.0)x\(padding.1), bias: \(bias != nil))"
    }
}

extension Conv2D: ConfigurableLayer {
    public static let typeName = "Conv2D"
    public var configuration: [String: any Sendable] {
        var c: [String: any Sendable] = [
            "inChannels": inChannels, "outChannels": outChannels, "kernelSize": [kernelSize.0, kernelSize.1],
            "stride": [stride.0, stride.1], "padding": padding.configuration, "dilation": [dilation.0, dilation.1],
            "groups": groups, "bias": bias != nil]
        if activation != .linear { c["activation"] = activation.rawValue }
        return c
    }
    public convenience init(configuration c: [String: any Sendable]) throws {
        let t = Self.typeName
        let (i, o, groups, bias) = try convolutionSizes(c, of: t)
        let kernel = try pair(c, "kernelSize", of: t)
        let activation = try Activation(configuration: c["activation"], of: t)
        try LayerRegistry.reserve([[o, i / groups, kernel.0, kernel.1], bias ? [o] : [0]], of: t)
        self.init(i, o, kernelSize: kernel, stride: try pair(c, "stride", of: t), padding: try Padding(configuration: c["padding"], of: t),
                  dilation: try pair(c, "dilation", of: t), groups: groups, bias: bias, activation: activation)
    }
}

extension Conv1D: ConfigurableLayer {
    public static let typeName = "Conv1D"
    public var configuration: [String: any Sendable] {
        var c: [String: any Sendable] = [
            "inChannels": inChannels, "outChannels": outChannels, "kernelSize": kernelSize, "stride": stride,
            "padding": padding.configuration, "dilation": dilation, "groups": groups, "bias": bias != nil]
        if activation != .linear { c["activation"] = activation.rawValue }
        return c
    }
    public convenience init(configuration c: [String: any Sendable]) throws {
        let t = Self.typeName
        let (i, o, groups, bias) = try convolutionSizes(c, of: t)
        let kernel = try c.size("kernelSize", of: t)
        let activation = try Activation(configuration: c["activation"], of: t)
        try LayerRegistry.reserve([[o, i / groups, kernel], bias ? [o] : [0]], of: t)
        self.init(i, o, kernelSize: kernel, stride: try c.size("stride", of: t), padding: try Padding(configuration: c["padding"], of: t),
                  dilation: try c.size("dilation", of: t), groups: groups, bias: bias, activation: activation)
    }
}

extension ConvTranspose2D: ConfigurableLayer {
    public static let typeName = "ConvTranspose2D"
    public var configuration: [String: any Sendable] {
        ["inChannels": inChannels, "outChannels": outChannels, "kernelSize": [kernelSize.0, kernelSize.1],
         "stride": [stride.0, stride.1], "padding": [padding.0, padding.1], "outputPadding": [outputPadding.0, outputPadding.1],
         "dilation": [dilation.0, dilation.1], "groups": groups, "bias": bias != nil]
    }
    public convenience init(configuration c: [String: any Sendable]) throws {
        let t = Self.typeName
        let (i, o, groups, bias) = try convolutionSizes(c, of: t)
        let (kernel, stride, dilation) = (try pair(c, "kernelSize", of: t), try pair(c, "stride", of: t), try pair(c, "dilation", of: t))
        let outputPadding = try pair(c, "outputPadding", of: t, minimum: 0)
        try checkField(outputPadding.0 < Swift.max(stride.0, dilation.0) && outputPadding.1 < Swift.max(stride.1, dilation.1),
                       t, "outputPadding", "must be smaller than the stride or the dilation")
        try LayerRegistry.reserve([[i, o / groups, kernel.0, kernel.1], bias ? [o] : [0]], of: t)
        self.init(i, o, kernelSize: kernel, stride: stride, padding: try pair(c, "padding", of: t, minimum: 0),
                  outputPadding: outputPadding, dilation: dilation, groups: groups, bias: bias)
    }
}

/// The channel counts, groups (dividing both) and bias flag of a convolution configuration.
private func convolutionSizes(_ c: [String: any Sendable], of type: String) throws -> (Int, Int, Int, Bool) {
    let (i, o, groups) = (try c.size("inChannels", of: type), try c.size("outChannels", of: type), try c.size("groups", of: type))
    try checkField(i % groups == 0 && o % groups == 0, type, "groups", "\(groups) does not divide \(i) => \(o) channels")
    return (i, o, groups, (c["bias"] as? Bool) ?? true)
}
