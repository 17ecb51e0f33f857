import Foundation

/// An sRGB color with an opacity in 0...1.
public struct Color: Sendable, Equatable {
    public var red, green, blue: UInt8
    public var opacity: Double

    public init(red: UInt8, green: UInt8, blue: UInt8, opacity: Double = 1) {
        self.red = red; self.green = green; self.blue = blue
        self.opacity = opacity.isNaN ? 1 : Swift.min(Swift.max(opacity, 0), 1)
    }

    /// `Color(hex: 0x1f77b4)`.
    public init(hex: UInt32, opacity: Double = 1) {
        self.init(red: UInt8((hex >> 16) & 0xFF), green: UInt8((hex >> 8) & 0xFF), blue: UInt8(hex & 0xFF), opacity: opacity)
    }

    public func opacity(_ value: Double) -> Color { Color(red: red, green: green, blue: blue, opacity: value) }

    public static let white = Color(hex: 0xFFFFFF), black = Color(hex: 0x000000)
    public static let text = Color(hex: 0x222222), axis = Color(hex: 0x444444), grid = Color(hex: 0xE4E4E4)

    /// Ten colors told apart easily, also by most color-blind readers (the "category10" palette
    /// of D3 and matplotlib); series take them in order.
    public static let palette: [Color] = [0x1F77B4, 0xFF7F0E, 0x2CA02C, 0xD62728, 0x9467BD,
                                          0x8C564B, 0xE377C2, 0x7F7F7F, 0xBCBD22, 0x17BECF].map { Color(hex: $0) }

    /// `#rrggbb`.
    var hexString: String { "#" + [red, green, blue].map { String(format: "%02x", $0) }.joined() }
}

public struct Point: Sendable, Equatable {
    public var x, y: Double
    public init(_ x: Double, _ y: Double) { self.x = x; self.y = y }
}

public struct Rect: Sendable, Equatable {
    public var x, y, width, height: Double
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }
    public var maxX: Double { x + width }
    public var maxY: Double { y + height }
    public var center: Point { Point(x + width / 2, y + height / 2) }
    /// This rectangle shrunk by `dx` on the left and right and `dy` on the top and bottom.
    public func inset(_ dx: Double, _ dy: Double) -> Rect { Rect(x: x + dx, y: y + dy, width: width - 2 * dx, height: height - 2 * dy) }
    func contains(_ p: Point) -> Bool { p.x >= x && p.x <= maxX && p.y >= y && p.y <= maxY }
}

/// How a line is drawn: color, width in pixels, and a dash pattern (on, off, ... lengths; empty
/// for a solid line).
public struct Stroke: Sendable, Equatable {
    public var color: Color
    public var width: Double
    public var dash: [Double]
    public init(_ color: Color, width: Double = 1, dash: [Double] = []) {
        self.color = color; self.width = width; self.dash = dash.allSatisfy { $0.isFinite && $0 > 0 } ? dash : []
    }
}

/// How text is drawn. `size` is the em in pixels; the raster draws the 5x7 bitmap font with dots
/// of `size / 10` pixels rounded to a half pixel (see `BitmapFont`): layouts use 10, 15 or 20.
public struct TextStyle: Sendable, Equatable {
    public enum Anchor: Sendable { case start, middle, end }
    public var size: Double
    public var color: Color
    public var anchor: Anchor
    public var bold: Bool
    /// Turned a quarter to the left, read bottom to top (a y-axis label).
    public var vertical: Bool

    public init(size: Double = 20, color: Color = .text, anchor: Anchor = .start, bold: Bool = false, vertical: Bool = false) {
        self.size = size; self.color = color; self.anchor = anchor; self.bold = bold; self.vertical = vertical
    }

    /// The width of `text` in this style: 0.6 em a character.
    public func width(of text: String) -> Double { Double(text.count) * 0.6 * size }
    /// The cap height: the distance from the baseline to the top of a capital.
    public var capHeight: Double { 0.7 * size }
}

/// An image of `width x height` RGB pixels, rows top to bottom, drawn scaled into a rectangle
/// without smoothing (each pixel a block).
public struct PixelImage: Sendable, Equatable {
    public let width, height: Int
    public let rgb: [UInt8]

    /// Each pixel as a `factor x factor` block.
    func scaled(by factor: Int) -> PixelImage {
        var out = [UInt8](repeating: 0, count: width * height * factor * factor * 3)
        let w = width * factor
        for y in 0..<(height * factor) {
            for x in 0..<w {
                let s = 3 * ((y / factor) * width + x / factor), d = 3 * (y * w + x)
                out[d] = rgb[s]; out[d + 1] = rgb[s + 1]; out[d + 2] = rgb[s + 2]
            }
        }
        return PixelImage(width: w, height: height * factor, rgb: out)!
    }

    /// Nil unless `rgb` holds exactly `width · height · 3` bytes and both sizes are positive.
    public init?(width: Int, height: Int, rgb: [UInt8]) {
        guard width > 0, height > 0, width <= 1 << 14, height <= 1 << 14, rgb.count == width * height * 3 else { return nil }
        self.width = width; self.height = height; self.rgb = rgb
    }
}

/// Why a plot could not be made or written.
public struct PlotError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A picture made of lines, rectangles, circles, polygons, text and pixel images, in pixel
/// coordinates (origin at the top left, y down), that renders the same drawing as SVG text and
/// as an RGB raster written as PNG. Charts (`LineChart`, `ConfusionMatrixChart`, `ImageGrid`,
/// `ModelGraph`) draw on one.
///
/// ```swift
/// var canvas = Canvas(width: 200, height: 100)
/// canvas.line([Point(10, 90), Point(190, 10)], stroke: Stroke(.black, width: 2))
/// canvas.text("hello", at: Point(100, 50), style: TextStyle(anchor: .middle))
/// try canvas.write(to: "hello.png")   // or hello.svg
/// ```
public struct Canvas: Sendable {
    public enum Item: Sendable, Equatable {
        case polyline([Point], Stroke)
        case rect(Rect, fill: Color?, stroke: Stroke?)
        case circle(center: Point, radius: Double, fill: Color?, stroke: Stroke?)
        case polygon([Point], fill: Color)
        /// `position` is the anchor point on the baseline.
        case text(String, position: Point, style: TextStyle)
        case image(PixelImage, in: Rect)
    }

    /// The largest width or height a canvas takes.
    public static let maximumSize = 8192

    public let width, height: Int
    public var background: Color
    public private(set) var items: [Item] = []

    /// A blank canvas; sizes are clamped to 1...`maximumSize`.
    public init(width: Int = 640, height: Int = 480, background: Color = .white) {
        self.width = Swift.min(Swift.max(width, 1), Self.maximumSize)
        self.height = Swift.min(Swift.max(height, 1), Self.maximumSize)
        self.background = background
    }

    public var bounds: Rect { Rect(x: 0, y: 0, width: Double(width), height: Double(height)) }

    /// A line through `points`; points with a non-finite coordinate are dropped.
    public mutating func line(_ points: [Point], stroke: Stroke) {
        let kept = points.filter { $0.x.isFinite && $0.y.isFinite }
        if kept.count >= 2 && stroke.width > 0 { items.append(.polyline(kept, stroke)) }
    }

    public mutating func rect(_ rect: Rect, fill: Color? = nil, stroke: Stroke? = nil) {
        guard [rect.x, rect.y, rect.width, rect.height].allSatisfy(\.isFinite), rect.width >= 0, rect.height >= 0 else { return }
        items.append(.rect(rect, fill: fill, stroke: stroke))
    }

    public mutating func circle(center: Point, radius: Double, fill: Color? = nil, stroke: Stroke? = nil) {
        guard center.x.isFinite, center.y.isFinite, radius.isFinite, radius > 0 else { return }
        items.append(.circle(center: center, radius: radius, fill: fill, stroke: stroke))
    }

    public mutating func polygon(_ points: [Point], fill: Color) {
        guard points.count >= 3, points.allSatisfy({ $0.x.isFinite && $0.y.isFinite }) else { return }
        items.append(.polygon(points, fill: fill))
    }

    public mutating func text(_ text: String, at position: Point, style: TextStyle = TextStyle()) {
        guard !text.isEmpty, position.x.isFinite, position.y.isFinite, style.size.isFinite, style.size > 0 else { return }
        items.append(.text(text, position: position, style: style))
    }

    /// `text` centered vertically on `position.y` (its capitals are).
    public mutating func text(_ text: String, centeredOn position: Point, style: TextStyle) {
        let offset = style.capHeight / 2
        self.text(text, at: style.vertical ? Point(position.x + offset, position.y) : Point(position.x, position.y + offset), style: style)
    }

    public mutating func image(_ image: PixelImage, in rect: Rect) {
        guard [rect.x, rect.y, rect.width, rect.height].allSatisfy(\.isFinite), rect.width > 0, rect.height > 0 else { return }
        items.append(.image(image, in: rect))
    }

    // MARK: Output

    /// The drawing as an SVG 1.1 document.
    public var svg: String {
        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" \
            font-family="DejaVu Sans Mono, Menlo, Consolas, monospace">
            <rect width="100%" height="100%"\(Self.fill(background))/>

            """
        for item in items { out += Self.svg(item) + "\n" }
        return out + "</svg>\n"
    }

    /// The drawing as RGB bytes, rows top to bottom.
    public func rasterize() -> [UInt8] {
        var raster = Raster(width: width, height: height, background: background)
        for item in items { raster.draw(item) }
        return raster.bytes()
    }

    /// The drawing as a PNG file (compressed with the system zlib when it loads).
    public var png: [UInt8] { PNG.encode(width: width, height: height, color: .rgb, pixels: rasterize()) }

    /// Writes the drawing as PNG or SVG, as the path's extension (`.png`, `.svg`) says.
    public func write(to path: String) throws {
        let bytes: [UInt8]
        switch try Self.format(of: path) {
        case .png: bytes = png
        case .svg: bytes = Array(svg.utf8)
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw PlotError("\(path): cannot write the file")
        }
    }

    public enum Format: Sendable { case png, svg }

    /// The image format a path's extension names; throws for any other.
    public static func format(of path: String) throws -> Format {
        switch (path as NSString).pathExtension.lowercased() {
        case "png": return .png
        case "svg": return .svg
        default: throw PlotError("\(path): the output must end in .png or .svg")
        }
    }

    // MARK: SVG pieces

    private static func number(_ v: Double) -> String {
        let s = String(format: "%.2f", v)
        var t = Substring(s)
        while t.hasSuffix("0") { t = t.dropLast() }
        if t.hasSuffix(".") { t = t.dropLast() }
        return t == "-0" ? "0" : String(t)
    }

    private static func fill(_ color: Color?) -> String {
        guard let color else { return " fill=\"none\"" }
        return " fill=\"\(color.hexString)\"" + (color.opacity < 1 ? " fill-opacity=\"\(number(color.opacity))\"" : "")
    }

    private static func stroke(_ stroke: Stroke?) -> String {
        guard let s = stroke else { return "" }
        var out = " stroke=\"\(s.color.hexString)\" stroke-width=\"\(number(s.width))\""
        if s.color.opacity < 1 { out += " stroke-opacity=\"\(number(s.color.opacity))\"" }
        if !s.dash.isEmpty { out += " stroke-dasharray=\"\(s.dash.map(number).joined(separator: " "))\"" }
        return out
    }

    static func escaped(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                // Control characters are not allowed in XML 1.0.
                if let a = c.asciiValue, a < 32 { out += " " } else { out.append(c) }
            }
        }
        return out
    }

    private static func svg(_ item: Item) -> String {
        switch item {
        case let .polyline(points, s):
            let list = points.map { "\(number($0.x)),\(number($0.y))" }.joined(separator: " ")
            return "<polyline points=\"\(list)\" fill=\"none\"\(stroke(s)) stroke-linejoin=\"round\" stroke-linecap=\"round\"/>"
        case let .rect(r, f, s):
            return "<rect x=\"\(number(r.x))\" y=\"\(number(r.y))\" width=\"\(number(r.width))\" height=\"\(number(r.height))\"\(fill(f))\(stroke(s))/>"
        case let .circle(c, radius, f, s):
            return "<circle cx=\"\(number(c.x))\" cy=\"\(number(c.y))\" r=\"\(number(radius))\"\(fill(f))\(stroke(s))/>"
        case let .polygon(points, f):
            return "<polygon points=\"\(points.map { "\(number($0.x)),\(number($0.y))" }.joined(separator: " "))\"\(fill(f))/>"
        case let .text(text, p, style):
            let anchor = style.anchor == .start ? "start" : style.anchor == .middle ? "middle" : "end"
            var out = "<text x=\"\(number(p.x))\" y=\"\(number(p.y))\" font-size=\"\(number(style.size))\" text-anchor=\"\(anchor)\"\(fill(style.color))"
            if style.bold { out += " font-weight=\"bold\"" }
            if style.vertical { out += " transform=\"rotate(-90 \(number(p.x)) \(number(p.y)))\"" }
            return out + " xml:space=\"preserve\">\(escaped(text))</text>"
        case let .image(image, r):
            // Scaled up here by the whole factor the rectangle shows it at (at most 1M pixels), so
            // that a renderer that smooths images anyway (ignoring image-rendering) draws blocks.
            let fit = Swift.min(Int(r.width) / image.width, Int(r.height) / image.height)
            let factor = Swift.max(1, Swift.min(fit, Int((Double(1 << 20) / Double(image.width * image.height)).squareRoot()),
                                                (1 << 14) / Swift.max(image.width, image.height)))
            let big = factor == 1 ? image : image.scaled(by: factor)
            let data = Data(PNG.encode(width: big.width, height: big.height, color: .rgb, pixels: big.rgb)).base64EncodedString()
            return "<image x=\"\(number(r.x))\" y=\"\(number(r.y))\" width=\"\(number(r.width))\" height=\"\(number(r.height))\" "
                + "preserveAspectRatio=\"none\" style=\"image-rendering:pixelated\" xlink:href=\"data:image/png;base64,\(data)\"/>"
        }
    }
}
