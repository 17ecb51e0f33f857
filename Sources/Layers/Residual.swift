import TensorCore

/// The basic residual block of He et al. (2016): two 3x3 convolutions with batch norm, added to a
/// shortcut (a 1x1 convolution with batch norm when the shape changes), then ReLU.
///
/// Shape: `[N, inChannels, H, W] -> [N, outChannels, ⌈H / stride⌉, ⌈W / stride⌉]`.
public final class ResidualBlock: Layer {
    public let conv1: Conv2D, bn1: BatchNorm, conv2: Conv2D, bn2: BatchNorm
    public let shortcut: Sequential?

    public init(_ inChannels: Int, _ outChannels: Int, stride: Int = 1) {
        conv1 = Conv2D(inChannels, outChannels, kernelSize: 3, stride: stride, padding: .symmetric(1, 1), bias: false)
        bn1 = BatchNorm(outChannels)
        conv2 = Conv2D(outChannels, outChannels, kernelSize: 3, padding: .symmetric(1, 1), bias: false)
        bn2 = BatchNorm(outChannels)
        shortcut = stride != 1 || inChannels != outChannels
            ? Sequential { Conv2D(inChannels, outChannels, kernelSize: 1, stride: stride, bias: false); BatchNorm(outChannels) }
            : nil
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        let y = bn2(conv2(relu(bn1(conv1(input)))))
        return relu(y + (shortcut?(input) ?? input))
    }

    public var description: String {
        "ResidualBlock(\(conv1.inChannels) => \(conv1.outChannels), stride: \(conv1.stride.0))"
    }
}

extension ResidualBlock: ConfigurableLayer {
    public static let typeName = "ResidualBlock"
    public var configuration: [String: any Sendable] {
        ["inChannels": conv1.inChannels, "outChannels": conv1.outChannels, "stride": conv1.stride.0]
    }
    public convenience init(configuration c: [String: any Sendable]) throws {
        let t = Self.typeName
        let (i, o, stride) = (try c.size("inChannels", of: t), try c.size("outChannels", of: t), try c.size("stride", of: t))
        let shortcut = stride != 1 || i != o
        try LayerRegistry.reserve([[o, i, 3, 3], [o, o, 3, 3], [8, o], shortcut ? [o, i + 4] : [0]], of: t)
        self.init(i, o, stride: stride)
    }
}
