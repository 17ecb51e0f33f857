import Interop
import TensorCore
import Training

/// What each layer of a checkpoint takes on disk (`deeplearn summary --checkpoint`): its
/// parameters, how many are nonzero, and the bytes its tensors occupy as stored (sparse or dense).
public struct SizeReport: Sendable {
    public struct Row: Sendable, Equatable {
        /// The parameters' path up to the parameter name (`0` for `0.weight`, `3.running_mean`'s `3`).
        public let layer: String
        public let parameters: Int, nonzero: Int, bytes: Int
        /// Whether any of its tensors is stored sparse.
        public let sparse: Bool
    }

    public let rows: [Row]
    /// The whole file (header, metadata and architecture included).
    public let fileBytes: Int

    public init(checkpoint path: String) throws {
        let (stored, metadata) = try SafeTensors.load(path)
        let dense = try SparseStorage.decode(stored, metadata: metadata, path: path)
        func layer(of name: String) -> String {
            let parameter = name.split(separator: "/").first.map(String.init) ?? name
            guard let dot = parameter.lastIndex(of: ".") else { return "" }
            return String(parameter[..<dot])
        }
        var order: [String] = []
        var totals: [String: (parameters: Int, nonzero: Int, bytes: Int, sparse: Bool)] = [:]
        for name in stored.keys.sorted() {
            let l = layer(of: name)
            if totals[l] == nil { order.append(l); totals[l] = (0, 0, 0, false) }
            totals[l]!.bytes += stored[name]!.scalarCount * stored[name]!.dtype.byteCount
            if name.contains("/sparse_") { totals[l]!.sparse = true }
        }
        for (name, t) in dense {
            let l = layer(of: name)
            totals[l]!.parameters += t.scalarCount
            totals[l]!.nonzero += t.scalars.count { $0 != 0 }
        }
        // Layers in network order: numeric path components compare as numbers.
        func key(_ s: String) -> [String] { s.split(separator: ".").map { $0.count < 8 && $0.allSatisfy(\.isNumber) ? String(repeating: "0", count: 8 - $0.count) + $0 : String($0) } }
        rows = order.sorted { key($0).lexicographicallyPrecedes(key($1)) }.map { l in
            let t = totals[l]!
            return Row(layer: l, parameters: t.parameters, nonzero: t.nonzero, bytes: t.bytes, sparse: t.sparse)
        }
        fileBytes = try CompressionRun.fileSize(path)
    }

    /// An aligned table: layer, parameters, nonzero, bytes, storage; then the totals.
    public var text: String {
        var lines = [["Layer", "Params", "Nonzero", "Bytes", "Storage"]]
        for r in rows {
            lines.append([r.layer.isEmpty ? "(top)" : r.layer, String(r.parameters), String(r.nonzero), String(r.bytes), r.sparse ? "sparse" : "dense"])
        }
        let parameters = rows.reduce(0) { $0 + $1.parameters }, nonzero = rows.reduce(0) { $0 + $1.nonzero }
        lines.append(["total", String(parameters), String(nonzero), String(rows.reduce(0) { $0 + $1.bytes }), ""])
        let widths = (0..<5).map { c in lines.map { $0[c].count }.max()! }
        let body = lines.map { row in
            row.enumerated().map { c, s in c == 0 || c == 4 ? s.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                : String(repeating: " ", count: widths[c] - s.count) + s }.joined(separator: "  ")
        }
        return (body + ["file: \(fileBytes) bytes (tensors, header and architecture)"]).joined(separator: "\n")
    }
}
