import Foundation
import Layers

/// A network's structure as a graph: its layers in order (nested `Sequential`s opened up), each
/// with its output shape (found by `checkedOutputShape(for:)`, without running anything) and
/// parameter count, written as Graphviz DOT or drawn as boxes and arrows (SVG or PNG).
/// A `ResidualBlock` is one box with its skip connection drawn beside it.
///
/// ```swift
/// try ModelGraph(network, inputShape: [784]).write(to: "graph.svg")   // or graph.dot, graph.png
/// ```
public struct ModelGraph: Sendable {
    public struct Node: Sendable, Equatable {
        /// The path from the network (`1`, `1.layers.0`).
        public let name: String
        /// The first line of the layer's description.
        public let description: String
        /// Without the batch dimension; nil where shape inference stopped.
        public let outputShape: [Int]?
        public let parameterCount: Int
        public let isResidual: Bool
    }

    /// One example's shape (no batch dimension).
    public let inputShape: [Int]
    public let nodes: [Node]

    public init(_ network: any Layer, inputShape: [Int]) {
        self.inputShape = inputShape
        var nodes: [Node] = []
        var shape: [Int]? = [1] + inputShape
        func visit(_ layer: any Layer, _ name: String) {
            if let sequential = layer as? Sequential {
                for (i, child) in sequential.layers.enumerated() { visit(child, name.isEmpty ? "\(i)" : "\(name).\(i)") }
                return
            }
            shape = shape.flatMap { try? layer.checkedOutputShape(for: $0) }
            nodes.append(Node(name: name.isEmpty ? "0" : name, description: String(layer.description.split(separator: "\n").first ?? ""),
                              outputShape: shape.map { Array($0.dropFirst()) }, parameterCount: layer.parameterCount(),
                              isResidual: layer is ResidualBlock))
        }
        visit(network, "")
        self.nodes = nodes
    }

    /// `[-1, 32, 28, 28]`: the batch dimension as -1.
    static func shapeText(_ shape: [Int]?) -> String {
        guard let shape else { return "?" }
        return "[" + (["-1"] + shape.map(String.init)).joined(separator: ", ") + "]"
    }

    /// `1,234,567`.
    static func grouped(_ n: Int) -> String {
        let digits = Array(String(n))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(d)
        }
        return out
    }

    private func detail(_ node: Node) -> String {
        "output \(Self.shapeText(node.outputShape))" + (node.parameterCount > 0 ? ", \(Self.grouped(node.parameterCount)) params" : "")
    }

    /// The graph in Graphviz's DOT language (`dot -Tsvg graph.dot > graph.svg`).
    public var dot: String {
        func quoted(_ s: String) -> String {
            // Graphviz's escapes: \" for a quote, \n for a line break (centered).
            "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n") + "\""
        }
        var lines = ["digraph model {", "  rankdir=TB;",
                     "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#eaf1fb\", color=\"#4a6fa5\", fontname=\"Helvetica\"];",
                     "  edge [color=\"#555555\"];",
                     "  input [label=\(quoted("input\n" + Self.shapeText(inputShape))), shape=ellipse, fillcolor=\"#f4f4f4\"];"]
        for (i, node) in nodes.enumerated() {
            lines.append("  n\(i) [label=\(quoted("(\(node.name)) \(node.description)\n\(detail(node))"))];")
        }
        var previous = "input"
        for (i, node) in nodes.enumerated() {
            lines.append("  \(previous) -> n\(i);")
            if node.isResidual { lines.append("  \(previous) -> n\(i) [style=dashed, label=\"skip\"];") }
            previous = "n\(i)"
        }
        return (lines + ["}"]).joined(separator: "\n") + "\n"
    }

    /// The layers as a column of boxes joined by arrows, the input on top.
    public func canvas() -> Canvas {
        let text = TextStyle(size: 20), gray = TextStyle(size: 20, color: Color(hex: 0x555555))
        let pad = 12.0, lineHeight = 26.0, boxHeight = 2 * lineHeight + 2 * pad - 6, arrow = 44.0, margin = 20.0, skipRoom = 50.0
        let labels = nodes.map { ("(\($0.name)) \($0.description)", detail($0)) }
        let inputLabel = ("input", Self.shapeText(inputShape))
        let textWidth = (labels + [inputLabel]).map { Swift.max(text.width(of: $0.0), gray.width(of: $0.1)) }.max() ?? 100
        let boxWidth = (textWidth + 2 * pad).rounded(.up)
        let width = Int(boxWidth + 2 * margin + skipRoom), height = Int(margin * 2 + Double(nodes.count + 1) * boxHeight + Double(nodes.count) * arrow)
        var canvas = Canvas(width: width, height: height)
        let fill = Color(hex: 0xEAF1FB), border = Stroke(Color(hex: 0x4A6FA5), width: 1.5), link = Stroke(Color(hex: 0x555555), width: 1.5)
        func box(_ index: Int) -> Rect { Rect(x: margin + 0.5, y: margin + 0.5 + Double(index) * (boxHeight + arrow), width: boxWidth, height: boxHeight) }
        let middle = (margin + boxWidth / 2).rounded() + 0.5
        // Arrows first, then the boxes and the sums over them.
        var sums: [Point] = []
        for i in 1..<(nodes.count + 1) {
            let above = box(i - 1), r = box(i)
            canvas.line([Point(middle, above.maxY), Point(middle, r.y - 9)], stroke: link)
            canvas.polygon([Point(middle, r.y), Point(middle - 6, r.y - 10), Point(middle + 6, r.y - 10)], fill: link.color)
            guard nodes[i - 1].isResidual else { continue }
            // The skip connection: from above the block, around its right side, into a sum below it.
            let split = above.maxY + 29, side = r.maxX + skipRoom / 2, sum = Point(middle, r.maxY + 14)
            canvas.line([Point(middle, split), Point(side, split), Point(side, sum.y), Point(middle + 9, sum.y)],
                        stroke: Stroke(link.color, width: 1.5, dash: [5, 3]))
            canvas.text("skip", centeredOn: Point(side + 4, r.y + r.height / 2), style: TextStyle(size: 10, color: link.color))
            sums.append(sum)
        }
        for (i, (first, second)) in ([inputLabel] + labels).enumerated() {
            let r = box(i)
            canvas.rect(r, fill: i == 0 ? Color(hex: 0xF4F4F4) : fill, stroke: border)
            canvas.text(first, at: Point(r.x + pad, r.y + pad + 15), style: TextStyle(size: 20, bold: i > 0))
            canvas.text(second, at: Point(r.x + pad, r.y + pad + 15 + lineHeight), style: gray)
        }
        for sum in sums {
            canvas.circle(center: sum, radius: 9, fill: .white, stroke: link)
            canvas.text("+", centeredOn: sum, style: TextStyle(size: 10, color: link.color, anchor: .middle))
        }
        return canvas
    }

    /// Writes DOT (`.dot`, `.gv`), SVG or PNG, as the extension says; throws for any other.
    public func write(to path: String) throws {
        let ext = (path as NSString).pathExtension.lowercased()
        guard ext == "dot" || ext == "gv" else {
            guard (try? Canvas.format(of: path)) != nil else { throw PlotError("\(path): the graph must end in .svg, .png or .dot") }
            return try canvas().write(to: path)
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(dot.utf8)) else { throw PlotError("\(path): cannot write the file") }
    }
}
