/// Protocol Buffers' wire format, read: the fields of one message as the encoding specification
/// defines them, every length and offset checked against the bytes there are, so a truncated or
/// corrupt file is an error and never a read out of bounds. Enough for ONNX's `ModelProto`;
/// packed and unpacked repeated scalars are both accepted, as parsers must.
struct ProtobufReader {
    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    enum Value {
        case varint(UInt64)
        case fixed64(UInt64)
        case fixed32(UInt32)
        case bytes(ArraySlice<UInt8>)
    }

    struct Field {
        let number: Int
        let value: Value
    }

    /// The varint at `i` in `bytes`, moving `i` past it.
    static func varint(_ bytes: ArraySlice<UInt8>, at i: inout Int) throws -> UInt64 {
        var result: UInt64 = 0, shift: UInt64 = 0
        while true {
            guard i < bytes.endIndex else { throw Malformed(description: "a varint runs past the end of the message") }
            let b = bytes[i]
            i += 1
            guard shift < 64 else { throw Malformed(description: "a varint is longer than 10 bytes") }
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// The fields of the message in `bytes`, in file order.
    static func fields(_ bytes: ArraySlice<UInt8>) throws -> [Field] {
        var fields: [Field] = []
        var i = bytes.startIndex
        func varint() throws -> UInt64 { try ProtobufReader.varint(bytes, at: &i) }
        func take(_ n: Int) throws -> ArraySlice<UInt8> {
            guard n >= 0, bytes.endIndex - i >= n else { throw Malformed(description: "a field of \(n) bytes runs past the end of the message") }
            defer { i += n }
            return bytes[i..<(i + n)]
        }
        func little(_ s: ArraySlice<UInt8>) -> UInt64 { s.reversed().reduce(0) { $0 << 8 | UInt64($1) } }
        while i < bytes.endIndex {
            let key = try varint()
            let number = Int(truncatingIfNeeded: key >> 3)
            guard number > 0 && number < 1 << 29 else { throw Malformed(description: "field number \(key >> 3) is out of range") }
            switch key & 7 {
            case 0: fields.append(Field(number: number, value: .varint(try varint())))
            case 1: fields.append(Field(number: number, value: .fixed64(little(try take(8)))))
            case 2:
                let length = try varint()
                guard length <= UInt64(Int32.max) else { throw Malformed(description: "a field claims \(length) bytes") }
                fields.append(Field(number: number, value: .bytes(try take(Int(length)))))
            case 5: fields.append(Field(number: number, value: .fixed32(UInt32(little(try take(4))))))
            default: throw Malformed(description: "wire type \(key & 7) (field \(number)) is not one this reader takes")
            }
        }
        return fields
    }
}

extension ProtobufReader.Field {
    typealias Malformed = ProtobufReader.Malformed

    func integer() throws -> Int64 {
        guard case .varint(let v) = value else { throw Malformed(description: "field \(number) should be an integer") }
        return Int64(bitPattern: v)
    }

    func bytes() throws -> ArraySlice<UInt8> {
        guard case .bytes(let b) = value else { throw Malformed(description: "field \(number) should be length-delimited") }
        return b
    }

    func string() throws -> String {
        guard let s = String(validating: try bytes(), as: UTF8.self) else { throw Malformed(description: "field \(number) is not UTF-8") }
        return s
    }

    func float() throws -> Float {
        guard case .fixed32(let v) = value else { throw Malformed(description: "field \(number) should be a 32-bit float") }
        return Float(bitPattern: v)
    }

    /// A repeated integer field's values here: one varint, or a packed run of them.
    func integers() throws -> [Int64] {
        switch value {
        case .varint(let v): return [Int64(bitPattern: v)]
        case .bytes(let b):
            var out: [Int64] = [], i = b.startIndex
            while i < b.endIndex {
                do { out.append(Int64(bitPattern: try ProtobufReader.varint(b, at: &i))) } catch let e as Malformed {
                    throw Malformed(description: "a packed varint in field \(number): \(e.description)")
                }
            }
            return out
        default: throw Malformed(description: "field \(number) should hold integers")
        }
    }

    /// A repeated float field's values here: one fixed32, or a packed run of them.
    func floats() throws -> [Float] {
        switch value {
        case .fixed32(let v): return [Float(bitPattern: v)]
        case .bytes(let b):
            guard b.count % 4 == 0 else { throw Malformed(description: "packed floats in field \(number) are \(b.count) bytes") }
            return stride(from: b.startIndex, to: b.endIndex, by: 4).map { k in
                Float(bitPattern: UInt32(b[k]) | UInt32(b[k + 1]) << 8 | UInt32(b[k + 2]) << 16 | UInt32(b[k + 3]) << 24)
            }
        default: throw Malformed(description: "field \(number) should hold floats")
        }
    }

    /// A repeated double field's values here.
    func doubles() throws -> [Double] {
        switch value {
        case .fixed64(let v): return [Double(bitPattern: v)]
        case .bytes(let b):
            guard b.count % 8 == 0 else { throw Malformed(description: "packed doubles in field \(number) are \(b.count) bytes") }
            return stride(from: b.startIndex, to: b.endIndex, by: 8).map { k in
                Double(bitPattern: (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[k + $1]) << (8 * UInt64($1)) })
            }
        default: throw Malformed(description: "field \(number) should hold doubles")
        }
    }
}
