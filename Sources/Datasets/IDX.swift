import TensorCore

/// The IDX format of MNIST and Fashion-MNIST: a big-endian header giving the element type and the
/// dimensions, then the elements. Files may be gzip-compressed (`.gz`).
public enum IDX {
    /// The unsigned-byte contents of an IDX file and its dimensions.
    public static func readBytes(_ path: String) throws -> (shape: [Int], bytes: [UInt8]) {
        let data = try Gzip.contents(of: path)
        guard data.count >= 4, data[0] == 0, data[1] == 0 else {
            throw DatasetError.malformed(path: path, reason: "missing IDX magic number")
        }
        guard data[2] == 0x08 else {
            throw DatasetError.malformed(path: path, reason: "element type 0x\(String(data[2], radix: 16)) is not unsigned byte (0x08)")
        }
        let rank = Int(data[3])
        let headerSize = 4 + 4 * rank
        guard rank > 0, data.count >= headerSize else {
            throw DatasetError.malformed(path: path, reason: "truncated header")
        }
        let shape = (0..<rank).map { i in
            data[(4 + 4 * i)..<(8 + 4 * i)].reduce(0) { $0 << 8 | Int($1) }
        }
        let count = shape.reduce(1, *)
        guard data.count - headerSize == count else {
            throw DatasetError.malformed(
                path: path, reason: "header promises \(count) elements of shape \(shape), file holds \(data.count - headerSize)")
        }
        return (shape, Array(data[headerSize...]))
    }

    /// Images scaled to `[0, 1]` as float32, one row per image.
    ///
    /// Shape: `[count, height * width]`.
    public static func readImages(_ path: String) throws -> Tensor {
        let (shape, bytes) = try readBytes(path)
        guard shape.count == 3 else {
            throw DatasetError.malformed(path: path, reason: "images need 3 dimensions, found shape \(shape)")
        }
        return Tensor(shape: [shape[0], shape[1] * shape[2]]) { out in
            for (i, b) in bytes.enumerated() { out[i] = Float(b) / 255 }
        }
    }

    /// Labels as int64. Shape: `[count]`.
    public static func readLabels(_ path: String) throws -> Tensor {
        let (shape, bytes) = try readBytes(path)
        guard shape.count == 1 else {
            throw DatasetError.malformed(path: path, reason: "labels need 1 dimension, found shape \(shape)")
        }
        return Tensor(integers: bytes.map(Int.init))
    }
}
