/// The software rasterizer behind `Canvas.rasterize()`.
///
/// Each shape is first turned into a coverage mask (the fraction of every pixel it covers, 0...1,
/// over its bounding box), which is then blended once in the shape's color. Coverage is
/// analytic: a line's is its half width plus half a pixel minus the distance from the pixel's
/// center to the segment (round caps and joins; a 1 px line on a pixel center is one pixel wide
/// and solid), a rectangle's is the area of the pixel inside it, a circle's follows the distance
/// to its center, a polygon's is sampled on a 4x4 grid. Text is the 5x7 `BitmapFont` drawn on a
/// grid of half pixels from an anchor on a whole pixel, so whole-pixel dots (10 and 20 px text)
/// stay sharp. Images are scaled nearest-neighbour. Colors blend in sRGB values, as SVG renderers
/// do by default.
struct Raster {
    let width, height: Int
    /// 0...255 per channel, rows top to bottom.
    private var rgb: [Float]

    init(width: Int, height: Int, background: Color) {
        self.width = width
        self.height = height
        rgb = [Float](repeating: 0, count: width * height * 3)
        let a = Float(background.opacity)
        let base = [background.red, background.green, background.blue].map { Float($0) * a + 255 * (1 - a) }
        for i in 0..<(width * height) { rgb[3 * i] = base[0]; rgb[3 * i + 1] = base[1]; rgb[3 * i + 2] = base[2] }
    }

    func bytes() -> [UInt8] { rgb.map { UInt8(Swift.max(0, Swift.min(255, $0.rounded()))) } }

    mutating func draw(_ item: Canvas.Item) {
        switch item {
        case let .polyline(points, stroke):
            strokePath(points, stroke)
        case let .rect(r, fill, stroke):
            if let fill { fillRect(r, fill) }
            if let stroke {
                strokePath([Point(r.x, r.y), Point(r.maxX, r.y), Point(r.maxX, r.maxY), Point(r.x, r.maxY), Point(r.x, r.y)], stroke)
            }
        case let .circle(c, radius, fill, stroke):
            if let fill { paint(circleMask(c, radius, ring: nil), fill) }
            if let stroke { paint(circleMask(c, radius, ring: stroke.width / 2), stroke.color) }
        case let .polygon(points, fill):
            fillPolygon(points, fill)
        case let .text(text, position, style):
            drawText(text, position, style)
        case let .image(image, r):
            drawImage(image, r)
        }
    }

    // MARK: Masks

    /// Coverage over the pixels `x0..<x1`, `y0..<y1` (already clipped to the raster).
    private struct Mask {
        let x0, y0, x1, y1: Int
        var values: [Float]
        var width: Int { x1 - x0 }
        subscript(x: Int, y: Int) -> Float {
            get { values[(y - y0) * width + (x - x0)] }
            set { values[(y - y0) * width + (x - x0)] = newValue }
        }
    }

    /// A zero mask over the pixels that `minX...maxX`, `minY...maxY` touches, clipped; nil when
    /// that is outside the raster.
    private func mask(_ minX: Double, _ minY: Double, _ maxX: Double, _ maxY: Double) -> Mask? {
        guard minX.isFinite, minY.isFinite, maxX.isFinite, maxY.isFinite else { return nil }
        let x0 = Int(Swift.max(0, Swift.min(Double(width), minX.rounded(.down))))
        let y0 = Int(Swift.max(0, Swift.min(Double(height), minY.rounded(.down))))
        let x1 = Int(Swift.max(0, Swift.min(Double(width), maxX.rounded(.up) + 1)))
        let y1 = Int(Swift.max(0, Swift.min(Double(height), maxY.rounded(.up) + 1)))
        guard x1 > x0, y1 > y0 else { return nil }
        return Mask(x0: x0, y0: y0, x1: x1, y1: y1, values: [Float](repeating: 0, count: (x1 - x0) * (y1 - y0)))
    }

    private mutating func paint(_ mask: Mask?, _ color: Color) {
        guard let mask, color.opacity > 0 else { return }
        let c = [Float(color.red), Float(color.green), Float(color.blue)], opacity = Float(color.opacity)
        for y in mask.y0..<mask.y1 {
            for x in mask.x0..<mask.x1 {
                let a = mask[x, y] * opacity
                guard a > 0 else { continue }
                let i = 3 * (y * width + x)
                for k in 0..<3 { rgb[i + k] += (c[k] - rgb[i + k]) * a }
            }
        }
    }

    // MARK: Shapes

    /// `v` rounded to a whole pixel, within ±2^30 (far outside any raster, and safe to convert).
    private static func pixel(_ v: Double, _ rule: FloatingPointRoundingRule = .toNearestOrAwayFromZero) -> Int {
        Int(Swift.max(-Double(1 << 30), Swift.min(Double(1 << 30), v.rounded(rule))))
    }

    private mutating func strokePath(_ points: [Point], _ stroke: Stroke) {
        let half = Swift.max(stroke.width, 1) / 2, thin = Float(Swift.min(stroke.width, 1))
        let pieces = stroke.dash.isEmpty ? [points] : Self.dashed(points, stroke.dash)
        let xs = points.map(\.x), ys = points.map(\.y)
        guard let lowX = xs.min(), let highX = xs.max(), let lowY = ys.min(), let highY = ys.max(),
              var m = mask(lowX - half - 1, lowY - half - 1, highX + half + 1, highY + half + 1) else { return }
        for piece in pieces {
            for (a, b) in zip(piece, piece.dropFirst()) {
                let x0 = Swift.max(m.x0, Self.pixel(Swift.min(a.x, b.x) - half - 1, .down))
                let x1 = Swift.min(m.x1, Self.pixel(Swift.max(a.x, b.x) + half + 1, .up))
                let y0 = Swift.max(m.y0, Self.pixel(Swift.min(a.y, b.y) - half - 1, .down))
                let y1 = Swift.min(m.y1, Self.pixel(Swift.max(a.y, b.y) + half + 1, .up))
                guard x1 > x0, y1 > y0 else { continue }
                let dx = b.x - a.x, dy = b.y - a.y, length2 = dx * dx + dy * dy
                for y in y0..<y1 {
                    for x in x0..<x1 {
                        let px = Double(x) + 0.5 - a.x, py = Double(y) + 0.5 - a.y
                        let t = length2 > 0 ? Swift.max(0, Swift.min(1, (px * dx + py * dy) / length2)) : 0
                        let ex = px - t * dx, ey = py - t * dy
                        let coverage = Float(Swift.max(0, Swift.min(1, half + 0.5 - (ex * ex + ey * ey).squareRoot()))) * thin
                        if coverage > m[x, y] { m[x, y] = coverage }
                    }
                }
            }
        }
        paint(m, stroke.color)
    }

    /// The "on" pieces of `points` under a dash `pattern` (on, off, on, ... lengths), repeated.
    static func dashed(_ points: [Point], _ pattern: [Double]) -> [[Point]] {
        guard !pattern.isEmpty, pattern.reduce(0, +) > 0 else { return [points] }
        var pieces: [[Point]] = [], current: [Point] = []
        var index = 0, left = pattern[0], on = true
        current = [points[0]]
        for (a, b) in zip(points, points.dropFirst()) {
            let length = ((b.x - a.x) * (b.x - a.x) + (b.y - a.y) * (b.y - a.y)).squareRoot()
            var done = 0.0
            while length - done > left {
                done += left
                let p = Point(a.x + (b.x - a.x) * done / length, a.y + (b.y - a.y) * done / length)
                if on { current.append(p); pieces.append(current); current = [] } else { current = [p] }
                on.toggle()
                index = (index + 1) % pattern.count
                left = pattern[index]
            }
            left -= length - done
            if on { current.append(b) }
        }
        if on && current.count >= 2 { pieces.append(current) }
        return pieces
    }

    private mutating func fillRect(_ r: Rect, _ color: Color) {
        guard var m = mask(r.x, r.y, r.maxX, r.maxY) else { return }
        for y in m.y0..<m.y1 {
            let cy = Swift.max(0, Swift.min(Double(y + 1), r.maxY) - Swift.max(Double(y), r.y))
            for x in m.x0..<m.x1 {
                let cx = Swift.max(0, Swift.min(Double(x + 1), r.maxX) - Swift.max(Double(x), r.x))
                m[x, y] = Float(cx * cy)
            }
        }
        paint(m, color)
    }

    /// A disc's coverage, or with `ring`, that of a circle line of half width `ring`.
    private func circleMask(_ c: Point, _ radius: Double, ring: Double?) -> Mask? {
        let reach = radius + (ring ?? 0) + 1
        guard var m = mask(c.x - reach, c.y - reach, c.x + reach, c.y + reach) else { return nil }
        for y in m.y0..<m.y1 {
            for x in m.x0..<m.x1 {
                let dx = Double(x) + 0.5 - c.x, dy = Double(y) + 0.5 - c.y, d = (dx * dx + dy * dy).squareRoot()
                let v = ring.map { Swift.max($0, 0.5) + 0.5 - Swift.abs(d - radius) } ?? radius + 0.5 - d
                m[x, y] = Float(Swift.max(0, Swift.min(1, v)))
            }
        }
        return m
    }

    private mutating func fillPolygon(_ points: [Point], _ color: Color) {
        let xs = points.map(\.x), ys = points.map(\.y)
        guard var m = mask(xs.min()!, ys.min()!, xs.max()!, ys.max()!) else { return }
        func inside(_ px: Double, _ py: Double) -> Bool {   // even-odd rule
            var result = false
            var j = points.count - 1
            for i in points.indices {
                let a = points[i], b = points[j]
                if (a.y > py) != (b.y > py) && px < (b.x - a.x) * (py - a.y) / (b.y - a.y) + a.x { result.toggle() }
                j = i
            }
            return result
        }
        for y in m.y0..<m.y1 {
            for x in m.x0..<m.x1 {
                var hits = 0
                for sy in 0..<4 {
                    for sx in 0..<4 where inside(Double(x) + (Double(sx) + 0.5) / 4, Double(y) + (Double(sy) + 0.5) / 4) { hits += 1 }
                }
                m[x, y] = Float(hits) / 16
            }
        }
        paint(m, color)
    }

    // MARK: Text and images

    /// The text in `BitmapFont`, a dot `size / 10` pixels rounded to a half pixel, on a grid of
    /// half pixels (each pixel's coverage is the share of its four half-pixel cells that are ink),
    /// from an anchor rounded to a whole pixel: whole-pixel dots stay sharp.
    private mutating func drawText(_ text: String, _ p: Point, _ style: TextStyle) {
        let characters = Array(text)
        guard characters.count <= 2_000 else { return }
        // Lengths in half pixels; text larger than 200 px is drawn at 200.
        let dot = Swift.max(2, Swift.min(40, Int((Swift.min(style.size, 200) / Double(BitmapFont.em) * 2).rounded())))
        let bold = style.bold ? Swift.max(2, dot / 2) : 0
        let length = (characters.count * BitmapFont.advance - 1) * dot + bold
        let start = style.anchor == .start ? 0 : style.anchor == .middle ? length / 2 : length
        let top = BitmapFont.capHeight * dot, depth = top + BitmapFont.descent * dot
        // The ink in text space: u along the baseline from the text's start, v down from its top.
        var ink = [Bool](repeating: false, count: length * depth)
        for (i, character) in characters.enumerated() {
            for (r, bits) in BitmapFont.rows(character).enumerated() where bits != 0 {
                for c in 0..<5 where bits & (0x10 >> UInt8(c)) != 0 {
                    let u = (i * BitmapFont.advance + c) * dot, v = r * dot
                    for dv in 0..<dot { for du in 0..<(dot + bold) { ink[(v + dv) * length + u + du] = true } }
                }
            }
        }
        let ox = 2 * Self.pixel(p.x), oy = 2 * Self.pixel(p.y)
        // A half-pixel cell (u, v) of text space on the screen's half-pixel grid.
        func screen(_ u: Int, _ v: Int) -> (Int, Int) {
            let du = u - start, dv = v - top
            return style.vertical ? (ox + dv, oy - du - 1) : (ox + du, oy + dv)
        }
        let (ax, ay) = screen(0, 0), (bx, by) = screen(length - 1, depth - 1)
        func floorHalf(_ v: Int) -> Double { (Double(v) / 2).rounded(.down) }
        guard var m = mask(floorHalf(Swift.min(ax, bx)), floorHalf(Swift.min(ay, by)), floorHalf(Swift.max(ax, bx)), floorHalf(Swift.max(ay, by)))
        else { return }
        for v in 0..<depth {
            for u in 0..<length where ink[v * length + u] {
                let (sx, sy) = screen(u, v)
                let px = Int(floorHalf(sx)), py = Int(floorHalf(sy))
                if px >= m.x0 && px < m.x1 && py >= m.y0 && py < m.y1 { m[px, py] += 0.25 }
            }
        }
        paint(m, style.color)
    }

    private mutating func drawImage(_ image: PixelImage, _ r: Rect) {
        guard let m = mask(r.x, r.y, r.maxX, r.maxY) else { return }
        for y in m.y0..<m.y1 {
            let cy = Double(y) + 0.5
            guard cy >= r.y && cy < r.maxY else { continue }
            let sy = Swift.min(image.height - 1, Int((cy - r.y) / r.height * Double(image.height)))
            for x in m.x0..<m.x1 {
                let cx = Double(x) + 0.5
                guard cx >= r.x && cx < r.maxX else { continue }
                let sx = Swift.min(image.width - 1, Int((cx - r.x) / r.width * Double(image.width)))
                let s = 3 * (sy * image.width + sx), d = 3 * (y * width + x)
                for k in 0..<3 { rgb[d + k] = Float(image.rgb[s + k]) }
            }
        }
    }
}
