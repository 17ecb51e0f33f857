import Layers

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
