/// Protocol Buffers' wire format, written by hand for the few messages we emit (TensorBoard's
/// `Event` and `Summary`, later ONNX's `ModelProto`): varints, 64- and 32-bit scalars and
/// length-delimited fields, as the encoding specification defines them. swift-protobuf with
/// generated code would bring a dependency and a code generator into the build for what is
/// about a hundred lines of writing; we never parse protobuf, so nothing more is needed.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    private enum WireType: UInt64 { case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5 }

    private mutating func key(_ field: Int, _ type: WireType) { appendVarint(UInt64(field) << 3 | type.rawValue) }

    private mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// An `int32`, `int64`, `uint64`, `bool` or enum field (negative values as ten bytes, as the
    /// specification encodes them).
    mutating func varint(_ field: Int, _ value: Int64) {
        key(field, .varint)
        appendVarint(UInt64(bitPattern: value))
    }

    mutating func double(_ field: Int, _ value: Double) {
        key(field, .fixed64)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
    }

    mutating func float(_ field: Int, _ value: Float) {
        key(field, .fixed32)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
    }

    mutating func bytes(_ field: Int, _ value: [UInt8]) {
        key(field, .lengthDelimited)
        appendVarint(UInt64(value.count))
        bytes += value
    }

    mutating func string(_ field: Int, _ value: String) { bytes(field, Array(value.utf8)) }

    mutating func message(_ field: Int, _ build: (inout ProtobufWriter) -> Void) {
        var inner = ProtobufWriter()
        build(&inner)
        bytes(field, inner.bytes)
    }

    /// A `repeated double` field, packed (proto3's default).
    mutating func packedDoubles(_ field: Int, _ values: [Double]) {
        var inner = ProtobufWriter()
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { inner.bytes += $0 } }
        bytes(field, inner.bytes)
    }
}

/// A CRC-32 over a reflected polynomial, table-driven: the IEEE one of PNG chunks and gzip
/// (0xEDB88320) and the Castagnoli one of TFRecord framing (0x82F63B78, which zlib lacks).
struct ReflectedCRC32: Sendable {
    static let ieee = ReflectedCRC32(polynomial: 0xEDB8_8320)
    static let castagnoli = ReflectedCRC32(polynomial: 0x82F6_3B78)

    private let table: [UInt32]

    init(polynomial: UInt32) {
        table = (0..<256).map { n in
            var c = UInt32(n)
            for _ in 0..<8 { c = c & 1 != 0 ? polynomial ^ (c >> 1) : c >> 1 }
            return c
        }
    }

    func checksum(_ data: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in data { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}

/// CRC-32C as TFRecord framing uses it.
enum CRC32C {
    static func checksum(_ data: [UInt8]) -> UInt32 { ReflectedCRC32.castagnoli.checksum(data) }

    /// TFRecord's masked form: rotated right by 15 bits plus a constant.
    static func masked(_ data: [UInt8]) -> UInt32 {
        let c = checksum(data)
        return ((c >> 15) | (c << 17)) &+ 0xA282_EAD8
    }
}
