import Foundation
import Interop
import TensorCore

/// How a checkpoint stores mostly-zero weights (a pruned network's) in few bytes: a parameter
/// `name` becomes `name/sparse_mask`, a bitmap with one bit per element in row-major order
/// (least significant bit first, uint8), and `name/sparse_values`, the nonzero elements in
/// order (float32); the metadata key `sparse_tensors` maps each such name to its shape. A 90%
/// sparse weight takes 0.1 x 4 + 1/8 bytes per element instead of 4: 13%. Any reader of
/// safetensors can rebuild it (`values` scattered where the bits are set).
///
/// Written only for float32 tensors at least half zeros (then at most 0.53x the dense bytes);
/// read back into dense float32 tensors, every part checked against the others first.
public enum SparseStorage {
    static let metadataKey = "sparse_tensors"
    static let maskSuffix = "/sparse_mask", valuesSuffix = "/sparse_values"

    /// `tensors` with each float32 tensor that is at least half zeros replaced by its sparse
    /// form, and the metadata value that names them (nil when none is).
    public static func encode(_ tensors: [String: Tensor]) -> (tensors: [String: Tensor], metadata: String?) {
        var result: [String: Tensor] = [:]
        var shapes: [String: [Int]] = [:]
        for (name, t) in tensors {
            guard t.dtype == .float32, t.scalarCount > 0 else { result[name] = t; continue }
            let values = t.scalars
            let nonzero = values.count { $0 != 0 }
            let bitmapBytes = (values.count + 7) / 8
            guard 2 * nonzero <= values.count else { result[name] = t; continue }
            var bits = [UInt8](repeating: 0, count: bitmapBytes)
            var kept: [Float] = []
            kept.reserveCapacity(nonzero)
            for (i, v) in values.enumerated() where v != 0 {
                bits[i >> 3] |= 1 << UInt8(i & 7)
                kept.append(v)
            }
            result[name + maskSuffix] = Tensor(rawBytes: bits, dtype: .uint8, shape: [bitmapBytes])
            result[name + valuesSuffix] = Tensor(kept, shape: [kept.count])
            shapes[name] = t.shape.dimensions
        }
        guard !shapes.isEmpty else { return (tensors, nil) }
        let json = try! JSONSerialization.data(withJSONObject: shapes, options: [.sortedKeys])
        return (result, String(decoding: json, as: UTF8.self))
    }

    /// A file's sparse tensors made dense again, as `encode` wrote them; every other tensor as
    /// it was. Throws, naming `path`, when the parts do not fit together.
    public static func decode(_ tensors: [String: Tensor], metadata: [String: String], path: String) throws -> [String: Tensor] {
        guard let json = metadata[metadataKey] else { return tensors }
        func fail(_ message: String) -> Checkpoint.MismatchError { .init(description: "\(path): sparse tensors: \(message)") }
        guard let shapes = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: [Int]] else {
            throw fail("'\(metadataKey)' is not an object of shapes")
        }
        var result = tensors
        for (name, dimensions) in shapes.sorted(by: { $0.key < $1.key }) {
            guard let mask = tensors[name + maskSuffix], let values = tensors[name + valuesSuffix] else {
                throw fail("'\(name)' lacks its mask or values")
            }
            guard tensors[name] == nil else { throw fail("'\(name)' is stored both dense and sparse") }
            guard dimensions.allSatisfy({ $0 >= 0 }), dimensions.count <= 8 else { throw fail("'\(name)' has shape \(dimensions)") }
            let (count, overflow) = dimensions.reduce((1, false)) { acc, d in
                let (p, o) = acc.0.multipliedReportingOverflow(by: d)
                return (p, acc.1 || o)
            }
            guard !overflow, mask.dtype == .uint8, mask.shape == [(count + 7) / 8] else {
                throw fail("the mask of '\(name)' does not fit shape \(dimensions)")
            }
            let bits = mask.withUnsafeIntegers(as: UInt8.self) { Array($0) }
            let setBits = bits.reduce(0) { $0 + $1.nonzeroBitCount }
            let spareBits = count % 8 == 0 ? 0 : Int((bits.last ?? 0) >> UInt8(count % 8)).nonzeroBitCount
            guard values.dtype == .float32, values.shape == [setBits], spareBits == 0 else {
                throw fail("'\(name)' has \(values.shape) values for a mask of \(setBits) set bits")
            }
            var dense = [Float](repeating: 0, count: count)
            values.withUnsafeBufferPointer { v in
                var next = 0
                for i in 0..<count where bits[i >> 3] & (1 << UInt8(i & 7)) != 0 {
                    dense[i] = v[next]
                    next += 1
                }
            }
            result[name] = Tensor(dense, shape: Shape(dimensions))
            result[name + maskSuffix] = nil
            result[name + valuesSuffix] = nil
        }
        return result
    }
}
