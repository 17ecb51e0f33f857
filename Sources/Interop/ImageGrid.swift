import TensorCore

/// A grid of small images: inputs, reconstructions, generated samples, or a layer's filters.
///
/// The images come as `[N, H, W]` (grayscale) or `[N, C, H, W]`: with C = 1 grayscale, with C = 3
/// RGB, with any other C each channel of each image becomes its own grayscale tile (a conv
/// layer's `[out, in, kh, kw]` weights show as `out · in` kernels). Values map to 0...255 by the
/// chosen normalization; NaN and infinities are drawn black. Each image pixel becomes a square
/// block of `Layout.scale` pixels, the largest that fits the width asked for.
public struct ImageGrid: Sendable {
    public enum Normalization: Sendable, Equatable {
        /// Each tile from its own minimum (black) to its maximum (white): the usual view of filters.
        case perImage
        /// All tiles on the one scale of the smallest and largest value.
        case global
        /// `low` black, `high` white, values outside clamped (0...1 for images already scaled).
        case range(Float, Float)
    }

    /// Where things go, in pixels.
    public struct Layout: Sendable, Equatable {
        public let columns, rows: Int
        /// Pixels per image pixel, and a tile's size.
        public let scale, tileWidth, tileHeight: Int
        public let gap, margin, top: Int
        public let width, height: Int
    }

    /// Tiles, each `tileWidth x tileHeight` RGB at one pixel per image pixel.
    public let tiles: [PixelImage]
    public let columns: Int
    public var title: String?

    /// The tiles of `images`; throws for a shape that is not `[N, H, W]` or `[N, C, H, W]`, for more
    /// than 4,096 tiles or images larger than 1,024 pixels a side, and for a `range` that is empty.
    public init(_ images: Tensor, columns: Int? = nil, normalization: Normalization = .perImage, title: String? = nil) throws {
        let d = images.shape.dimensions
        guard d.count == 3 || d.count == 4, d.allSatisfy({ $0 > 0 }) else {
            throw PlotError("an image grid takes [N, H, W] or [N, C, H, W] images, not \(d)")
        }
        let (n, c, h, w) = d.count == 3 ? (d[0], 1, d[1], d[2]) : (d[0], d[1], d[2], d[3])
        let color = c == 3
        let count = color || c == 1 ? n : n * c
        guard count <= 4096, h <= 1024, w <= 1024 else {
            throw PlotError("an image grid holds at most 4096 tiles of at most 1024x1024; got \(count) of \(h)x\(w)")
        }
        if case let .range(low, high) = normalization, !(low.isFinite && high.isFinite && high > low) {
            throw PlotError("the normalization range \(low)...\(high) is empty")
        }
        let values = images.scalars, plane = h * w, perTile = (color ? 3 : 1) * plane
        func bounds(_ slice: ArraySlice<Float>) -> (Float, Float) {
            var low = Float.infinity, high = -Float.infinity
            for v in slice where v.isFinite { low = Swift.min(low, v); high = Swift.max(high, v) }
            return (low, high)
        }
        let global = bounds(values[...])
        var tiles: [PixelImage] = []
        for t in 0..<count {
            let slice = values[(t * perTile)..<((t + 1) * perTile)]
            let (low, high): (Float, Float)
            switch normalization {
            case .perImage: (low, high) = bounds(slice)
            case .global: (low, high) = global
            case let .range(l, h): (low, high) = (l, h)
            }
            func byte(_ v: Float) -> UInt8 {
                guard v.isFinite else { return 0 }
                guard high > low else { return 128 }
                return UInt8((Swift.max(0, Swift.min(1, (v - low) / (high - low))) * 255).rounded())
            }
            var rgb = [UInt8](repeating: 0, count: plane * 3)
            let base = slice.startIndex
            for p in 0..<plane {
                for k in 0..<3 { rgb[3 * p + k] = byte(values[base + (color ? k * plane : 0) + p]) }
            }
            tiles.append(PixelImage(width: w, height: h, rgb: rgb)!)
        }
        self.tiles = tiles
        let automatic = Swift.min(count, Int((Double(2 * count)).squareRoot().rounded(.up)))
        self.columns = Swift.max(1, Swift.min(count, columns ?? automatic))
        self.title = title
    }

    /// The layout in at most `maxWidth` pixels (at least one pixel per image pixel, at most 32).
    public func layout(maxWidth: Int = 640) -> Layout {
        let rows = (tiles.count + columns - 1) / columns
        let w = tiles[0].width, h = tiles[0].height
        let margin = 10, gap = 4, top = title == nil ? margin : 40
        let room = maxWidth - 2 * margin - (columns - 1) * gap
        let scale = Swift.max(1, Swift.min(32, room / (columns * w)))
        var width = 2 * margin + columns * w * scale + (columns - 1) * gap
        if let title { width = Swift.max(width, Int(TextStyle(size: 20).width(of: title)) + 2 * margin) }
        let height = top + rows * h * scale + (rows - 1) * gap + margin
        return Layout(columns: columns, rows: rows, scale: scale, tileWidth: w * scale, tileHeight: h * scale,
                      gap: gap, margin: margin, top: top, width: Swift.min(width, Canvas.maximumSize), height: Swift.min(height, Canvas.maximumSize))
    }

    public func canvas(maxWidth: Int = 640) -> Canvas {
        let l = layout(maxWidth: maxWidth)
        var canvas = Canvas(width: l.width, height: l.height)
        if let title { canvas.text(title, at: Point(Double(l.width) / 2, 26), style: TextStyle(size: 20, anchor: .middle, bold: true)) }
        let used = l.columns * l.tileWidth + (l.columns - 1) * l.gap, left = (l.width - used) / 2
        for (i, tile) in tiles.enumerated() {
            let x = left + (i % l.columns) * (l.tileWidth + l.gap), y = l.top + (i / l.columns) * (l.tileHeight + l.gap)
            let r = Rect(x: Double(x), y: Double(y), width: Double(l.tileWidth), height: Double(l.tileHeight))
            canvas.image(tile, in: r)
            canvas.rect(r.inset(-0.5, -0.5), stroke: Stroke(Color(hex: 0xBBBBBB)))
        }
        return canvas
    }
}
