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

/// A small ResNet for 28x28 or 32x32 images: a 3x3 stem, stages of residual blocks (the first
/// block of each later stage halves the resolution and doubles the width), global average pooling
/// and a linear classifier.
///
/// Shape: `[N, inChannels, H, W] -> [N, classes]`.
public func makeResNet(inChannels: Int = 1, classes: Int = 10, width: Int = 32, blocksPerStage: [Int] = [2, 2, 2]) -> Sequential {
    Sequential {
        Conv2D(inChannels, width, kernelSize: 3, padding: .symmetric(1, 1), bias: false)
        BatchNorm(width)
        ReLU()
        for (stage, blocks) in blocksPerStage.enumerated() {
            for block in 0..<blocks {
                let outWidth = width << stage
                let inWidth = block == 0 && stage > 0 ? outWidth / 2 : outWidth
                ResidualBlock(inWidth, outWidth, stride: block == 0 && stage > 0 ? 2 : 1)
            }
        }
        GlobalPool(.average)
        Linear(width << (blocksPerStage.count - 1), classes)
    }
}
