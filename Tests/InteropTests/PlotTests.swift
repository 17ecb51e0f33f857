import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Layers
import TensorCore
import Testing
@testable import Interop

/// The plots: PNG files that decode back to their pixels, nice ticks, SVG that parses, the
/// confusion matrix's cells, ROC areas, the image grid's layout, CSV logs and model graphs.
struct PlotTests {
    // MARK: PNG

    /// The chunks of a PNG file: type and data, each checked against its CRC.
    private func chunks(_ png: [UInt8]) throws -> [(String, [UInt8])] {
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var out: [(String, [UInt8])] = [], at = 8
        func u32(_ i: Int) -> Int { Int(png[i]) << 24 | Int(png[i + 1]) << 16 | Int(png[i + 2]) << 8 | Int(png[i + 3]) }
        while at + 12 <= png.count {
            let length = u32(at)
            try #require(at + 12 + length <= png.count)
            let body = Array(png[(at + 4)..<(at + 8 + length)])
            #expect(UInt32(u32(at + 8 + length)) == ReflectedCRC32.ieee.checksum(body))
            out.append((String(decoding: body.prefix(4), as: UTF8.self), Array(body.dropFirst(4))))
            at += 12 + length
        }
        #expect(at == png.count)
        return out
    }

    /// Width, height and the pixels of an 8-bit RGB PNG, undoing its row filters (the PNG
    /// specification's reconstruction, written out here independently of the encoder).
    private func decode(_ png: [UInt8]) throws -> (width: Int, height: Int, pixels: [UInt8]) {
        let parts = try chunks(png)
        try #require(parts.first?.0 == "IHDR" && parts.last?.0 == "IEND")
        let h = parts[0].1
        func u32(_ i: Int) -> Int { Int(h[i]) << 24 | Int(h[i + 1]) << 16 | Int(h[i + 2]) << 8 | Int(h[i + 3]) }
        let width = u32(0), height = u32(4)
        #expect(Array(h[8...]) == [8, 2, 0, 0, 0])   // 8 bits, RGB, deflate, filter method 0, no interlace
        let stream = parts.filter { $0.0 == "IDAT" }.flatMap(\.1)
        let n = width * 3
        let raw = try #require(Zlib.decompress(stream, size: (n + 1) * height))
        var pixels = [UInt8](repeating: 0, count: n * height)
        for y in 0..<height {
            let filter = raw[y * (n + 1)]
            for i in 0..<n {
                let v = Int(raw[y * (n + 1) + 1 + i])
                let a = i >= 3 ? Int(pixels[y * n + i - 3]) : 0, b = y > 0 ? Int(pixels[(y - 1) * n + i]) : 0
                let c = i >= 3 && y > 0 ? Int(pixels[(y - 1) * n + i - 3]) : 0
                let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = a
                case 2: predictor = b
                case 3: predictor = (a + b) / 2
                case 4: predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c
                default: Issue.record("filter type \(filter)"); predictor = 0
                }
                pixels[y * n + i] = UInt8((v + predictor) & 0xFF)
            }
        }
        return (width, height, pixels)
    }

    @Test func pngDecodesBackToItsPixels() throws {
        #expect(Zlib.isAvailable)
        var random = SystemRandomNumberGenerator()
        let (w, h) = (37, 23)
        // Smooth gradients (which Sub, Up, Average and Paeth suit) above noise (which none suits).
        let pixels: [UInt8] = (0..<(w * h * 3)).map { i in
            let x = (i / 3) % w, y = i / 3 / w
            return y < 12 ? UInt8((x * 7 + y * 3 + i % 3 * 50) & 0xFF) : UInt8.random(in: 0...255, using: &random)
        }
        let png = PNG.encode(width: w, height: h, color: .rgb, pixels: pixels)
        let decoded = try decode(png)
        #expect(decoded.width == w && decoded.height == h)
        #expect(decoded.pixels.count == pixels.count)
        let mismatch = zip(decoded.pixels, pixels).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(mismatch == nil, "the first byte that differs is byte \(mismatch ?? -1), in row \((mismatch ?? 0) / (3 * w))")
        // Compressed: a flat image is far smaller than its stored bytes.
        let flat = PNG.encode(width: 200, height: 100, color: .rgb, pixels: [UInt8](repeating: 200, count: 200 * 100 * 3))
        #expect(flat.count < 2_000)
        // The stored-block fallback is a valid zlib stream too.
        let data: [UInt8] = (0..<70_000).map { UInt8($0 % 251) }
        #expect(Zlib.decompress(PNG.zlibStored(data), size: data.count) == data)
    }

    @Test func canvasPNGHasTheCanvasSize() throws {
        var canvas = Canvas(width: 321, height: 123)
        canvas.line([Point(0, 10.5), Point(321, 10.5)], stroke: Stroke(.black, width: 1))
        let decoded = try decode(canvas.png)
        #expect(decoded.width == 321 && decoded.height == 123)
        // A 1 px line on pixel centers is one solid row: row 10 black, rows 9 and 11 white.
        func pixel(_ x: Int, _ y: Int) -> [UInt8] { Array(decoded.pixels[(3 * (y * 321 + x))..<(3 * (y * 321 + x) + 3)]) }
        #expect(pixel(100, 10) == [0, 0, 0] && pixel(100, 9) == [255, 255, 255] && pixel(100, 11) == [255, 255, 255])
    }

    @Test func textIsDrawnInTheBitmapFont() {
        // "T" at 1 px per dot, anchored at (10, 20): its bar is the row 7 dots above the baseline.
        var canvas = Canvas(width: 40, height: 30)
        canvas.text("T", at: Point(10, 20), style: TextStyle(size: 10, color: .black))
        let rgb = canvas.rasterize()
        func dark(_ x: Int, _ y: Int) -> Bool { rgb[3 * (y * 40 + x)] < 128 }
        #expect((10..<15).allSatisfy { dark($0, 13) })               // the bar, 5 dots wide
        #expect((14..<20).allSatisfy { dark(12, $0) })               // the stem down to the baseline
        #expect(!dark(12, 20) && !dark(10, 12) && !dark(15, 13) && !dark(11, 16))
        #expect(BitmapFont.rows("T") == [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0, 0])
        #expect(BitmapFont.rows("é") == BitmapFont.rows("?"))
        // Every printable character has its own glyph (space aside).
        let glyphs = (33...126).map { BitmapFont.rows(Character(UnicodeScalar(UInt8($0)))) }
        #expect(Set(glyphs.map { $0.map(String.init).joined(separator: ",") }).count == glyphs.count)
    }

    // MARK: Ticks

    @Test func ticksAreNiceNumbers() {
        #expect(Ticks.values(0, 1, maxCount: 6) == [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1])
        #expect(Ticks.step(0, 1, maxCount: 6) == 0.2)
        #expect(Ticks.step(0, 97, maxCount: 6) == 20)
        #expect(Ticks.step(0.23, 0.91, maxCount: 6) == 0.2)
        #expect(Ticks.step(0.23, 0.91, maxCount: 7) == 0.1)
        #expect(Ticks.values(0.23, 0.91, maxCount: 6).map { Ticks.label($0, step: 0.2) } == ["0.4", "0.6", "0.8"])
        #expect(Ticks.values(-3, 12, maxCount: 8) == [-2, 0, 2, 4, 6, 8, 10, 12])
        #expect(Ticks.step(1e-4, 9e-4, maxCount: 5) == 2e-4)
        #expect(Ticks.label(0.25, step: 0.05) == "0.25" && Ticks.label(3, step: 1) == "3" && Ticks.label(0.1 + 0.2, step: 0.1) == "0.3")
        #expect(Ticks.label(1_500_000, step: 500_000) == "1.5e+06")
        for (low, high) in [(0.0, 1.0), (0.31, 0.33), (-7, 1234), (1e-3, 1.2e-3), (5, 5.5)] {
            for maxCount in 3...9 {
                let ticks = Ticks.values(low, high, maxCount: maxCount), step = Ticks.step(low, high, maxCount: maxCount)
                #expect(ticks.count <= maxCount && ticks.count >= 2, "\(low)...\(high) by at most \(maxCount): \(ticks)")
                let mantissa = step / pow(10, log10(step).rounded(.down))
                #expect([1, 2, 5].contains { abs(mantissa - $0) < 1e-9 }, "step \(step)")
                #expect(ticks.allSatisfy { $0 >= low - 1e-12 && $0 <= high + 1e-12 })
            }
        }
    }

    // MARK: SVG

    /// The elements of an SVG document by name, with their attributes and text.
    private final class Elements: NSObject, XMLParserDelegate {
        var found: [(name: String, attributes: [String: String], text: String)] = []
        private var open: [Int] = []
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            open.append(found.count)
            found.append((name, attributes, ""))
        }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) { open.removeLast() }
        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if let i = open.last, found[i].name == "text" { found[i].text += string }
        }
    }

    private func parse(_ svg: String) throws -> [(name: String, attributes: [String: String], text: String)] {
        let parser = XMLParser(data: Data(svg.utf8))
        let elements = Elements()
        parser.delegate = elements
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        return elements.found
    }

    @Test func svgIsWellFormed() throws {
        var canvas = Canvas(width: 300, height: 200)
        canvas.line([Point(0, 0), Point(100, 50), Point(200, 20)], stroke: Stroke(.black, width: 2, dash: [4, 2]))
        canvas.rect(Rect(x: 10, y: 10, width: 50, height: 20), fill: Color(hex: 0x336699, opacity: 0.5))
        canvas.circle(center: Point(50, 50), radius: 4, fill: .white, stroke: Stroke(.black))
        canvas.text("a < b & \"c\"", at: Point(20, 100), style: TextStyle(vertical: true))
        canvas.image(PixelImage(width: 2, height: 1, rgb: [0, 0, 0, 255, 255, 255])!, in: Rect(x: 0, y: 150, width: 20, height: 10))
        let elements = try parse(canvas.svg)
        #expect(elements.first?.name == "svg" && elements.first?.attributes["width"] == "300" && elements.first?.attributes["height"] == "200")
        #expect(elements.map(\.name) == ["svg", "rect", "polyline", "rect", "circle", "text", "image"])
        #expect(elements[2].attributes["points"] == "0,0 100,50 200,20" && elements[2].attributes["stroke-dasharray"] == "4 2")
        #expect(elements[3].attributes["fill-opacity"] == "0.5")
        #expect(elements[5].text == "a < b & \"c\"" && elements[5].attributes["transform"] == "rotate(-90 20 100)")
        #expect(elements[6].attributes["xlink:href"]?.hasPrefix("data:image/png;base64,iVBORw0KGgo") == true)
        #expect(throws: PlotError.self) { try canvas.write(to: "/tmp/plot.jpg") }
    }

    @Test func lineChartDrawsItsSeriesTicksAndLegend() throws {
        let chart = LineChart(title: "loss", xLabel: "epoch", series: [
            Series("loss", x: [1, 2, 3, 4], y: [1.0, 0.6, 0.45, 0.4]), Series("val_loss", x: [1, 2, 3, 4], y: [0.8, .nan, 0.5, 0.48]),
        ], integerX: true)
        let elements = try parse(chart.canvas().svg)
        let texts = elements.filter { $0.name == "text" }.map(\.text)
        #expect(["loss", "epoch", "val_loss", "1", "2", "3", "4"].allSatisfy(texts.contains))
        #expect(!texts.contains("1.5"))   // whole epochs only
        // loss is one line; val_loss breaks at the NaN into a line and a lone point; plus two legend swatches.
        let lines = elements.filter { $0.name == "polyline" && $0.attributes["stroke-width"] == "2" }
        #expect(lines.count == 4)
    }

    // MARK: Confusion matrix and ROC

    @Test func confusionMatrixShowsEachCountInItsCell() throws {
        let chart = try ConfusionMatrixChart(counts: [[5, 1, 0], [2, 7, 1], [0, 0, 9]], classNames: ["cat", "dog", "fox"])
        let elements = try parse(chart.canvas().svg)
        // The cells are the squares of equal size; their counts are the texts over them.
        let cells = elements.filter { $0.name == "rect" && $0.attributes["width"] == $0.attributes["height"] && $0.attributes["fill"] != nil
            && $0.attributes["stroke"] == nil && $0.attributes["width"] != "100%" }
        try #require(cells.count == 9)
        func value(_ e: (name: String, attributes: [String: String], text: String), _ key: String) -> Double { Double(e.attributes[key]!)! }
        let texts = elements.filter { $0.name == "text" }
        for (k, cell) in cells.enumerated() {
            let (i, j) = (k / 3, k % 3)
            let x = value(cell, "x"), y = value(cell, "y"), side = value(cell, "width")
            let inside = texts.filter { t in
                let tx = value(t, "x"), ty = value(t, "y")
                return tx > x && tx < x + side && ty > y && ty < y + side
            }
            #expect(inside.map(\.text) == [String(chart.counts[i][j])], "cell \(i), \(j)")
        }
        // Shades follow the row share: 9 of 9 darkest, 0 lightest, 5 of 6 darker than 1 of 6.
        #expect(cells[8].attributes["fill"] == ConfusionMatrixChart.shade(1).hexString)
        #expect(cells[2].attributes["fill"] == ConfusionMatrixChart.shade(0).hexString)
        #expect(ConfusionMatrixChart.shade(5.0 / 6).green < ConfusionMatrixChart.shade(1.0 / 6).green)
        #expect(["cat", "dog", "fox", "true class", "predicted class"].allSatisfy(texts.map(\.text).contains))
        #expect(throws: PlotError.self) { try ConfusionMatrixChart(counts: [[1, 2]], classNames: ["a"]) }
        #expect(throws: PlotError.self) { try ConfusionMatrixChart(counts: [[1, -2], [0, 1]], classNames: ["a", "b"]) }
        #expect(throws: PlotError.self) { try ConfusionMatrixChart(counts: [[1, 2], [0, 1]], classNames: ["a"]) }
    }

    @Test func rocAreaIsTheTrapezoidalArea() throws {
        // Scores 0.9 (positive), 0.8 (negative), 0.7 (positive), 0.6 (negative): thresholds from
        // the top give (FPR, TPR) = (0, 0), (0, 1/2), (1/2, 1/2), (1/2, 1), (1, 1); the area is
        // 1/2 · 1/2 + 1/2 · 1 = 0.75 (scikit-learn's roc_auc_score([1, 0, 1, 0], [.9, .8, .7, .6])).
        let curve = ROCChart.Curve(name: "coat", falsePositiveRates: [0, 0, 0.5, 0.5, 1], truePositiveRates: [0, 0.5, 0.5, 1, 1])
        #expect(curve.area == 0.75)
        #expect(ROCChart.Curve(name: "chance", falsePositiveRates: [0, 1], truePositiveRates: [0, 1]).area == 0.5)
        #expect(ROCChart.Curve(name: "perfect", falsePositiveRates: [0, 0, 1], truePositiveRates: [0, 1, 1]).area == 1)
        let texts = try parse(ROCChart.chart([curve]).canvas().svg).filter { $0.name == "text" }.map(\.text)
        #expect(texts.contains("coat (AUC 0.750)") && texts.contains("chance (AUC 0.500)"))
        #expect(texts.contains("false positive rate") && texts.contains("true positive rate"))
    }

    // MARK: Image grid

    @Test func imageGridLayout() throws {
        let grid = try ImageGrid(Tensor.uniform([10, 28, 28]), columns: 4, title: nil)
        let layout = grid.layout(maxWidth: 640)
        // 4 columns of 28 pixels in 640 - 2 · 10 (margins) - 3 · 4 (gaps) = 608: scale 5, 140 px tiles.
        #expect(layout.columns == 4 && layout.rows == 3 && layout.scale == 5 && layout.tileWidth == 140)
        #expect(layout.width == 2 * 10 + 4 * 140 + 3 * 4 && layout.height == 10 + 3 * 140 + 2 * 4 + 10)
        let canvas = grid.canvas(maxWidth: 640)
        #expect(canvas.width == layout.width && canvas.height == layout.height)
        let decoded = try decode(canvas.png)
        #expect(decoded.width == 592 && decoded.height == 448)
        // Per-image scaling: 0, 1, 2, 3 become black, 85, 170, white.
        let one = try ImageGrid(Tensor([0, 1, 2, 3], shape: [1, 2, 2]))
        #expect(one.tiles[0].rgb == [0, 0, 0, 85, 85, 85, 170, 170, 170, 255, 255, 255])
        let global = try ImageGrid(Tensor([0, 1, 2, 3, 2, 2, 2, 2], shape: [2, 2, 2]), normalization: .global)
        #expect(global.tiles[1].rgb == [UInt8](repeating: 170, count: 12))
        // Conv weights: each of 4 · 2 kernels its own tile; three channels make a color tile.
        #expect(try ImageGrid(Tensor.uniform([4, 2, 3, 3])).tiles.count == 8)
        #expect(try ImageGrid(Tensor.uniform([2, 3, 3, 3])).tiles.count == 2)
        #expect(throws: PlotError.self) { try ImageGrid(Tensor.uniform([4, 9])) }
        #expect(throws: PlotError.self) { try ImageGrid(Tensor.uniform([1, 2, 2]), normalization: .range(1, 1)) }
    }

    // MARK: Training curves

    @Test func csvLogsBecomeOnePanelPerMetric() throws {
        let log = "epoch,accuracy,loss,lr,val_accuracy,val_loss\n0,0.5,1.2,0.001,0.55,1.1\n1,0.7,0.8,0.0005,0.68,0.9\n2,0.8,0.6,,0.75,nan\n"
        let curves = try TrainingCurves(csv: log, source: "log.csv")
        #expect(curves.epochs == [1, 2, 3])
        #expect(curves.groups == [["loss", "val_loss"], ["accuracy", "val_accuracy"], ["lr"]])
        #expect(curves.metrics.first { $0.name == "lr" }!.values[2].isNaN)
        #expect(try curves.charts(only: ["accuracy"]).map { $0.series.map(\.name) } == [["accuracy", "val_accuracy"]])
        #expect(throws: PlotError.self) { try curves.charts(only: ["f1"]) }
        let canvas = try curves.canvas(width: 640, height: 480)
        #expect(canvas.width == 640 && canvas.height == 480)
        // Without an epoch column, rows count from 1; Windows line ends and quotes are fine.
        #expect(try TrainingCurves(csv: "\"loss\"\r\n2\r\n1\r\n", source: "x").epochs == [1, 2])
        for (bad, why) in [("", "empty"), ("epoch,loss\n", "a header and no epochs"), ("epoch,loss\n0,abc\n", "'abc' is not a number"),
                           ("epoch,loss\n0,1,2\n", "3 fields, the header has 2"), ("epoch,loss,loss\n0,1,2\n", "appears twice"),
                           ("epoch\n0\n", "no columns besides the epoch"), ("epoch,loss\n0,\n", "no numbers to plot")] {
            #expect {
                try TrainingCurves(csv: bad, source: "log.csv")
            } throws: { error in
                "\(error)".hasPrefix("log.csv") && "\(error)".contains(why)
            }
        }
        #expect(throws: PlotError.self) { try TrainingCurves.read(csvLog: "/nonexistent/log.csv") }
    }

    // MARK: Model graph

    @Test func modelGraphHasEveryLayerWithItsShape() throws {
        let network = Sequential {
            Reshape([1, 28, 28])
            Conv2D(1, 8, kernelSize: 3, padding: .same)
            ReLU()
            Sequential { Flatten(); Linear(8 * 28 * 28, 10) }
        }
        let graph = ModelGraph(network, inputShape: [784])
        #expect(graph.nodes.map(\.name) == ["0", "1", "2", "3.0", "3.1"])
        #expect(graph.nodes.map(\.outputShape) == [[1, 28, 28], [8, 28, 28], [8, 28, 28], [6272], [10]])
        #expect(graph.nodes.map(\.parameterCount) == [0, 80, 0, 0, 62_730])
        let dot = graph.dot
        #expect(dot.hasPrefix("digraph model {") && dot.hasSuffix("}\n"))
        #expect(dot.components(separatedBy: " -> ").count - 1 == 5)
        #expect(dot.contains("n4 [label=\"(3.1) Linear(6272 => 10, bias: true)\\noutput [-1, 10], 62,730 params\"]"))
        let svg = try parse(graph.canvas().svg)
        #expect(svg.filter { $0.name == "polygon" }.count == 5)   // arrowheads
        // A wrong input shape leaves the shapes unknown from the first layer that cannot take it.
        #expect(ModelGraph(network, inputShape: [100]).nodes.map(\.outputShape) == [nil, nil, nil, nil, nil])
        #expect(throws: PlotError.self) { try graph.write(to: "/tmp/graph.txt") }
    }
}
