import TensorCore

/// The IDX format of MNIST and Fashion-MNIST: a big-endian header giving the element type and the
/// dimensions, then the elements. Files may be gzip-compressed (`.gz`).
public enum IDX {
    /// The ranks accepted: vectors of labels up to batches of multi-channel images.
    public static let ranks = 1...4

    /// The unsigned-byte contents of an IDX file and its dimensions.
    ///
    /// The header is checked before the data is read: a rank in `ranks`, every dimension above 0,
    /// and no more elements than the file can hold (for gzip, no more than deflate could expand
    /// it to), so a lying header allocates nothing. The file must then hold exactly the elements
    /// the header promises; a gzip file is decompressed no further than that.
    public static func readBytes(_ path: String) throws -> (shape: [Int], bytes: [UInt8]) {
        func malformed(_ reason: String) -> DatasetError { .malformed(path: path, reason: reason) }
        let file = try InputFile(path)
        let magic = try file.read(upTo: 4)
        guard magic.count == 4, magic[0] == 0, magic[1] == 0 else { throw malformed("missing IDX magic number") }
        guard magic[2] == 0x08 else {
            throw malformed("element type 0x\(String(magic[2], radix: 16)) is not unsigned byte (0x08)")
        }
        let rank = Int(magic[3])
        guard ranks.contains(rank) else { throw malformed("rank \(rank) is outside \(ranks)") }
        let dimensions = try file.read(upTo: 4 * rank)
        guard dimensions.count == 4 * rank else { throw malformed("truncated header") }
        let shape = (0..<rank).map { i in dimensions[(4 * i)..<(4 * i + 4)].reduce(0) { $0 << 8 | Int($1) } }
        if let zero = shape.firstIndex(of: 0) { throw malformed("dimension \(zero) of shape \(shape) is 0") }
        var count = 1
        for d in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw malformed("shape \(shape) has more elements than Int can count") }
            count = product
        }
        let promise = "header promises \(count) elements of shape \(shape)"
        if file.isGzip {
            guard count <= file.maximumDataSize - (4 + 4 * rank) else {
                throw malformed("\(promise), more than the \(file.size)-byte gzip file can hold")
            }
        } else {
            let holds = file.size - (4 + 4 * rank)
            guard holds >= count else { throw malformed("truncated: \(promise), file holds \(holds)") }
            guard holds == count else { throw malformed("trailing bytes: \(promise), file holds \(holds)") }
        }
        let bytes = try file.read(upTo: count)
        guard bytes.count == count else {
            throw malformed("truncated: \(promise), \(file.isGzip ? "the gzip stream" : "file") holds \(bytes.count)")
        }
        guard try file.isAtEnd() else {
            throw malformed(file.isGzip ? "decompresses past the \(4 + 4 * rank + count) bytes its header needs"
                                        : "trailing bytes: the file grew while it was read")
        }
        return (shape, bytes)
    }

    /// Images scaled to `[0, 1]` as float32, one row per image.
    ///
    /// Shape: `[count, height * width]`.
    public static func readImages(_ path: String) throws -> Tensor { try readImages(path, size: nil) }

    /// Images as `readImages(_:)` reads them, each required to be `size` when given.
    public static func readImages(_ path: String, size: (height: Int, width: Int)?) throws -> Tensor {
        let (shape, bytes) = try readBytes(path)
        guard shape.count == 3 else {
            throw DatasetError.malformed(path: path, reason: "images need 3 dimensions, found shape \(shape)")
        }
        if let size, shape[1] != size.height || shape[2] != size.width {
            throw DatasetError.malformed(
                path: path, reason: "images are \(shape[1])x\(shape[2]), expected \(size.height)x\(size.width)")
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
