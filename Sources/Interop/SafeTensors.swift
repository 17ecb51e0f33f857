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
        case .int8: return "I8"
        case .uint8: return "U8"
        }
    }

    static func dtype(_ code: String) -> DType? {
        ["F32": .float32, "I32": .int32, "I64": .int64, "I8": .int8, "U8": .uint8][code]
    }

    /// The floating-point types PyTorch also saves (`half`, `bfloat16`, `double`), read into
    /// float32 tensors: their bytes per element and the conversion of one element.
    static let widenedFloats: [String: (bytes: Int, convert: @Sendable (UnsafeRawBufferPointer, Int) -> Float)] = [
        "F16": (2, { raw, i in halfToFloat(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian) }),
        "BF16": (2, { raw, i in Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian) << 16) }),
        "F64": (8, { raw, i in Float(Double(bitPattern: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self).littleEndian)) }),
    ]

    /// IEEE 754 binary16 to binary32, exactly (subnormals, infinities and NaN included).
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31, exponent = Int(h >> 10) & 0x1F, fraction = UInt32(h & 0x3FF)
        switch exponent {
        case 0:
            // ±0 or a subnormal: fraction · 2^-24.
            let magnitude = Float(fraction) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1F:
            return Float(bitPattern: sign | 0x7F80_0000 | fraction << 13)
        default:
            return Float(bitPattern: sign | UInt32(exponent + 112) << 23 | fraction << 13)
        }
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

    /// The largest header accepted, as the reference implementation limits it (100 MB).
    static let maximumHeaderLength = 100_000_000

    /// The tensors and metadata of a safetensors file, checked as the reference implementation
    /// checks them and more: the header length fits the file, the header is one JSON object
    /// without repeated names, every shape and offset is a whole number whose products do not
    /// overflow, and the tensors' byte ranges tile the data exactly (in order, without gaps,
    /// overlaps or trailing bytes). Each problem throws `FormatError` naming the file.
    public static func load(_ path: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FormatError(path: path, reason: FileManager.default.fileExists(atPath: path) ? "unreadable" : "no such file")
        }
        return try decode(data, path: path)
    }

    /// What `load` returns, from the bytes of a file; `path` names it in errors.
    public static func decode(_ data: Data, path: String = "<data>") throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        func fail(_ reason: String) -> FormatError { FormatError(path: path, reason: reason) }
        let bytes = [UInt8](data)
        guard bytes.count >= 8 else { throw fail("shorter than its 8-byte header length") }
        let headerLength = bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw fail("header length \(headerLength) exceeds the file size \(bytes.count)")
        }
        guard headerLength <= UInt64(maximumHeaderLength) else { throw fail("header length \(headerLength) exceeds 100 MB") }
        let start = 8 + Int(headerLength)
        let headerBytes = bytes[8..<start]
        guard headerBytes.first == UInt8(ascii: "{"),
              let header = try? JSONSerialization.jsonObject(with: Data(headerBytes)) as? [String: Any]
        else { throw fail("header is not a JSON object") }
        guard topLevelKeyCount(headerBytes) == header.count else { throw fail("header repeats a name") }
        let body = bytes.count - start
        var metadata: [String: String] = [:]
        var entries: [(name: String, dtype: DType, code: String, shape: [Int], begin: Int, end: Int)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let m = value as? [String: String] else { throw fail("__metadata__ must map strings to strings") }
                metadata = m
                continue
            }
            guard let entry = value as? [String: Any], let code = entry["dtype"] as? String,
                  let shapeItems = entry["shape"] as? [Any], let offsetItems = entry["data_offsets"] as? [Any], offsetItems.count == 2
            else { throw fail("entry '\(name)' lacks dtype, shape or data_offsets") }
            guard let dtype = dtype(code) ?? (widenedFloats[code] != nil ? .float32 : nil) else {
                throw fail("tensor '\(name)' has unsupported dtype \(code) (F32, F16, BF16, F64, I32, I64, I8 and U8 are read)")
            }
            let shape = shapeItems.compactMap { $0 as? Int }, offsets = offsetItems.compactMap { $0 as? Int }
            guard shape.count == shapeItems.count, shape.count <= 8, shape.allSatisfy({ $0 >= 0 }) else {
                throw fail("tensor '\(name)' has shape \(shapeItems), not up to 8 whole numbers >= 0")
            }
            guard offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= body else {
                throw fail("tensor '\(name)' has offsets \(offsetItems) outside the \(body) data bytes")
            }
            var size = widenedFloats[code]?.bytes ?? dtype.byteCount
            for d in shape {
                let (p, overflow) = size.multipliedReportingOverflow(by: d)
                guard !overflow, p <= body else { throw fail("tensor '\(name)' of shape \(shape) is larger than the file") }
                size = p
            }
            guard offsets[1] - offsets[0] == size else {
                throw fail("tensor '\(name)' of shape \(shape) needs \(size) bytes, has \(offsets[1] - offsets[0])")
            }
            entries.append((name, dtype, code, shape, offsets[0], offsets[1]))
        }
        // The byte ranges, in order, must tile the data: no gap, no overlap, nothing after.
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var covered = 0
        for e in entries {
            guard e.begin == covered else {
                throw fail(e.begin < covered ? "tensor '\(e.name)' overlaps the tensor before it"
                                             : "\(e.begin - covered) bytes before tensor '\(e.name)' belong to no tensor")
            }
            covered = e.end
        }
        guard covered == body else { throw fail("\(body - covered) trailing bytes after the last tensor") }
        var tensors: [String: Tensor] = [:]
        for e in entries {
            let bytes = data[(data.startIndex + start + e.begin)..<(data.startIndex + start + e.end)]
            if let widened = widenedFloats[e.code] {
                let count = (e.end - e.begin) / widened.bytes
                let values = bytes.withUnsafeBytes { raw in (0..<count).map { widened.convert(raw, $0) } }
                tensors[e.name] = Tensor(values, shape: Shape(e.shape))
            } else {
                tensors[e.name] = Tensor(rawBytes: bytes, dtype: e.dtype, shape: Shape(e.shape))
            }
        }
        return (tensors, metadata)
    }

    /// How many names the top-level JSON object in `json` has, counting repeats (a JSON parser
    /// keeps one of each): a scan over strings and nesting, run after the header parsed.
    static func topLevelKeyCount(_ json: ArraySlice<UInt8>) -> Int {
        var depth = 0, count = 0, inString = false, escaped = false, stringAtTop = false, pendingKey = false
        for byte in json {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") {
                    inString = false
                    pendingKey = stringAtTop
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true; stringAtTop = depth == 1
            case UInt8(ascii: ":"): if pendingKey { count += 1 }; pendingKey = false
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1; pendingKey = false
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1; pendingKey = false
            case 0x20, 0x09, 0x0A, 0x0D: break
            default: pendingKey = false
            }
        }
        return count
    }
}

/// Writes `data` to a temporary file in `path`'s directory, flushes it to disk, renames it over
/// `path` (POSIX `rename` replaces atomically) and flushes the directory, so that a crash, even
/// a power cut, leaves either the old file or the new one, never a half-written one.
///
/// The temporary file is named `.<name>.tmp-<pid>-<random>`, so concurrent or later writers never
/// collide with it; temporary files of `path` left by processes that no longer run (a `kill -9`
/// between write and rename) are removed.
public func writeAtomically(_ data: Data, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let directory = url.deletingLastPathComponent().path
    removeStaleTemporaryFiles(in: directory, prefix: ".\(url.lastPathComponent).tmp-")
    let temporary = url.deletingLastPathComponent()
        .appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))").path
    func failure(_ what: String) -> Error {
        CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path,
            NSLocalizedDescriptionKey: "\(path): cannot \(what): \(String(cString: strerror(errno)))"])
    }
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw failure("create a temporary file beside it") }
    do {
        var written = 0
        try data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            while written < buffer.count {
                let n = write(fd, buffer.baseAddress! + written, buffer.count - written)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw failure("write") }
                written += n
            }
        }
        guard fsync(fd) == 0 else { throw failure("flush") }
        guard close(fd) == 0 else { throw failure("close") }
    } catch {
        close(fd)
        unlink(temporary)
        throw error
    }
    guard rename(temporary, path) == 0 else {
        let error = failure("rename \(temporary) over it")
        unlink(temporary)
        throw error
    }
    synchronizeDirectory(directory)
}

/// Flushes a directory's entries (a rename) to disk; best effort, as not every file system can.
func synchronizeDirectory(_ directory: String) {
    let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { return }
    _ = fsync(fd)
    close(fd)
}

/// Removes the temporary files in `directory` whose names start with `prefix` (`.<name>` of the
/// file they were to replace) and end in `.tmp-<pid>-<random>`, when process `pid` is gone.
package func removeStaleTemporaryFiles(in directory: String, prefix: String) {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory) else { return }
    for name in names where name.hasPrefix(prefix) {
        guard let marker = name.range(of: ".tmp-", options: .backwards),
              let pid = Int32(name[marker.upperBound...].prefix { $0 != "-" }), pid > 0
        else { continue }
        if kill(pid, 0) != 0 && errno == ESRCH {
            unlink((directory as NSString).appendingPathComponent(name))
        }
    }
}
