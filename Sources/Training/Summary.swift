import Layers
import TensorCore

extension Layer {
    /// A Keras-style table of layers, output shapes and parameter counts, found by running a
    /// batch of one zero example of `inputShape` through the network.
    ///
    /// Shape: `inputShape` excludes the batch dimension, shown as `-1`.
    public func summary(inputShape: Shape) -> String {
        let layers: [(String, any Layer)] = (self as? Sequential).map { s in s.namedChildren.map { ($0.name, $0.layer) } }
            ?? [("0", self)]
        var rows: [(String, String, String)] = [("Layer", "Output shape", "Param #")]
        var x = Tensor.zeros(Shape([1] + inputShape.dimensions))
        let wasTraining = allLayers.contains { ($0 as? any ModeDependentLayer)?.isTraining == true }
        eval()
        withoutGradients {
            for (name, layer) in layers {
                x = layer(x)
                let shape = "[" + (["-1"] + x.shape.dropFirst().map(String.init)).joined(separator: ", ") + "]"
                let params = layer.parameterCount()
                rows.append(("(\(name)) " + layer.description.split(separator: "\n")[0], shape, params.formatted))
            }
        }
        if wasTraining { train() }
        let w0 = rows.map(\.0.count).max()!, w1 = rows.map(\.1.count).max()!, w2 = rows.map(\.2.count).max()!
        func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: w - s.count) }
        let rule = String(repeating: "─", count: w0 + w1 + w2 + 4)
        var lines = [rule]
        for (i, r) in rows.enumerated() {
            lines.append(pad(r.0, w0) + "  " + pad(r.1, w1) + "  " + String(repeating: " ", count: w2 - r.2.count) + r.2)
            if i == 0 { lines.append(rule) }
        }
        lines.append(rule)
        lines.append("Total params: \(parameterCount().formatted)")
        lines.append("Trainable params: \(parameterCount(trainableOnly: true).formatted)")
        lines.append("Non-trainable params: \((parameterCount() - parameterCount(trainableOnly: true)).formatted)")
        return lines.joined(separator: "\n")
    }
}

extension Int {
    /// Digits grouped by commas: 235,146.
    fileprivate var formatted: String {
        let digits = Array(String(Swift.abs(self)))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(d)
        }
        return (self < 0 ? "-" : "") + out
    }
}
