import Foundation
import TensorCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
/// mapping each name to `{dtype, shape, data_offsets}` (plus string `__metadata__`), then the
/// little-endian, row-major data. Readable by Python's `safetensors` package and PyTorch.
public enum SafeTensors {
    /// Problems reading a safetensors file, naming the file and what is wrong.
    public struct FormatError: Error, CustomStringConvertible, Equatable {
        public let path: String
        public let reason: String
        public init(path: String, reason: String) {
            self.path = path
            self.reason = reason
        }
        public var description: String { "\(path): not a valid safetensors file: \(reason)" }
    }

    static func code(_ dtype: DType) -> String {
        switch dtype {
        case .float32: return "F32"
        case .int32: return "I32"
        case .int64: return "I64"
        }
    }

    static func dtype(_ code: String) -> DType? {
        ["F32": .float32, "I32": .int32, "I64": .int64][code]
    }

    /// The bytes of a safetensors file holding `tensors` (written in name order) and `metadata`.
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) throws -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let t = tensors[name]!
            let size = t.scalarCount * t.dtype.byteCount
            header[name] = ["dtype": code(t.dtype), "shape": t.shape.dimensions, "data_offsets": [offset, offset + size]]
            offset += size
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
        while json.count % 8 != 0 { json.append(0x20) }
        var data = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        for name in names {
            tensors[name]!.withRawBytes { data.append(contentsOf: $0) }
        }
        return data
    }

    /// Writes `tensors` atomically: to a temporary file beside `path`, then renamed over it.
    public static func save(_ tensors: [String: Tensor], metadata: [String: String] = [:], to path: String) throws {
        try writeAtomically(try encode(tensors, metadata: metadata), to: path)
    }

    /// The tensors and metadata of a safetensors file.
    public static func load(_ path: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FormatError(path: path, reason: FileManager.default.fileExists(atPath: path) ? "unreadable" : "no such file")
        }
        func fail(_ reason: String) -> FormatError { FormatError(path: path, reason: reason) }
        guard data.count >= 8 else { throw fail("shorter than its 8-byte header length") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(data.count - 8) else {
            throw fail("header length \(headerLength) exceeds the file size \(data.count)")
        }
        let start = 8 + Int(headerLength)
        guard let header = try? JSONSerialization.jsonObject(with: data[8..<start]) as? [String: Any] else {
            throw fail("header is not a JSON object")
        }
        let body = data.count - start
        var metadata: [String: String] = [:]
        var tensors: [String: Tensor] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                guard let m = value as? [String: String] else { throw fail("__metadata__ must map strings to strings") }
                metadata = m
                continue
            }
            guard let entry = value as? [String: Any], let code = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2
            else { throw fail("entry '\(name)' lacks dtype, shape or data_offsets") }
            guard let dtype = dtype(code) else { throw fail("tensor '\(name)' has unsupported dtype \(code)") }
            let (begin, end) = (offsets[0], offsets[1])
            let count = shape.reduce(1, *)
            guard shape.allSatisfy({ $0 >= 0 }), begin >= 0, begin <= end, end <= body else {
                throw fail("tensor '\(name)' has offsets \(offsets) outside the \(body) data bytes")
            }
            guard end - begin == count * dtype.byteCount else {
                throw fail("tensor '\(name)' of shape \(shape) needs \(count * dtype.byteCount) bytes, has \(end - begin)")
            }
            tensors[name] = Tensor(rawBytes: data[(start + begin)..<(start + end)], dtype: dtype, shape: Shape(shape))
        }
        return (tensors, metadata)
    }
}

/// Writes `data` to a temporary file in `path`'s directory, then renames it over `path`
/// (POSIX `rename` replaces atomically), so that a crash never leaves a half-written file behind.
func writeAtomically(_ data: Data, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let temporary = url.deletingLastPathComponent()
        .appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
    do {
        try data.write(to: temporary)
        guard rename(temporary.path, path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path,
                NSLocalizedDescriptionKey: "cannot rename \(temporary.path) to \(path): \(String(cString: strerror(errno)))"])
        }
    } catch {
        try? FileManager.default.removeItem(at: temporary)
        throw error
    }
}
