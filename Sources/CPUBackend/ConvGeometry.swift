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

    /// Window positions down the input; 0 when the window is larger than the padded input
    /// (integer division truncates toward zero, so a negative span must not reach it).
    public var outputHeight: Int {
        Self.positions(height + padTop + padBottom, reach: dilationHeight * (kernelHeight - 1) + 1, stride: strideHeight)
    }
    /// Window positions across the input; 0 when the window does not fit.
    public var outputWidth: Int {
        Self.positions(width + padLeft + padRight, reach: dilationWidth * (kernelWidth - 1) + 1, stride: strideWidth)
    }

    static func positions(_ size: Int, reach: Int, stride: Int) -> Int {
        size < reach ? 0 : (size - reach) / stride + 1
    }
    /// Rows of the unfolded matrix per channel: one per kernel tap.
    public var taps: Int { kernelHeight * kernelWidth }
}
