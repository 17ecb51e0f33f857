/// The shape arithmetic of a 2-D convolution or pooling window over NCHW data.
public struct ConvGeometry: Sendable, Hashable {
    public var batch, channels, height, width: Int
    public var kernelHeight, kernelWidth: Int
    public var strideHeight, strideWidth: Int
    public var padTop, padBottom, padLeft, padRight: Int
    public var dilationHeight, dilationWidth: Int

    public init(batch: Int, channels: Int, height: Int, width: Int, kernelHeight: Int, kernelWidth: Int,
                strideHeight: Int = 1, strideWidth: Int = 1, padTop: Int = 0, padBottom: Int = 0,
                padLeft: Int = 0, padRight: Int = 0, dilationHeight: Int = 1, dilationWidth: Int = 1) {
        self.batch = batch; self.channels = channels; self.height = height; self.width = width
        self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
        self.strideHeight = strideHeight; self.strideWidth = strideWidth
        self.padTop = padTop; self.padBottom = padBottom; self.padLeft = padLeft; self.padRight = padRight
        self.dilationHeight = dilationHeight; self.dilationWidth = dilationWidth
    }

    public var outputHeight: Int {
        (height + padTop + padBottom - dilationHeight * (kernelHeight - 1) - 1) / strideHeight + 1
    }
    public var outputWidth: Int {
        (width + padLeft + padRight - dilationWidth * (kernelWidth - 1) - 1) / strideWidth + 1
    }
    /// Rows of the unfolded matrix per channel: one per kernel tap.
    public var taps: Int { kernelHeight * kernelWidth }
}
