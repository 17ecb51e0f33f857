#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A regular file read front to back, gunzipped on the way when its name ends in `.gz`.
///
/// Readers ask for the bytes they expect, so a file whose header lies about its size, or a gzip
/// bomb, never makes them hold more than they asked for; the buffer grows only as data arrives.
final class InputFile {
    let path: String
    /// The bytes on disk (the compressed ones for gzip).
    let size: Int
    private let descriptor: Int32
    private var decoder: GzipDecoder?

    /// Opens `path`, which must be a regular file, and gzip when its name ends in `.gz`.
    init(_ path: String) throws {
        // Non-blocking, so that opening a FIFO returns at once (and is then refused) rather than
        // waiting for a writer; reads of a regular file ignore the flag.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else {
            if errno == ENOENT { throw DatasetError.fileNotFound(path: path) }
            throw DatasetError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            close(descriptor)
            throw DatasetError.unreadable(path: path, reason: "not a regular file")
        }
        self.path = path
        self.descriptor = descriptor
        size = Int(status.st_size)
        // Every property is set, so a throw from here on runs deinit, which closes the file.
        if path.hasSuffix(".gz") {
            decoder = try GzipDecoder(path: path) { [unowned self] in try self.readRaw(into: $0) }
        }
    }

    deinit { close(descriptor) }

    /// Whether the file is read through gzip.
    var isGzip: Bool { decoder != nil }

    /// The most data the file can hold: its size, or for gzip the most that deflate could expand
    /// it to (`Int.max` where that overflows).
    var maximumDataSize: Int {
        guard isGzip else { return size }
        let (expanded, overflow) = size.multipliedReportingOverflow(by: GzipDecoder.maximumRatio)
        return overflow || expanded > Int.max - (1 << 20) ? .max : expanded + (1 << 20)
    }

    /// The next `count` bytes of data, or all that is left when that is fewer.
    func read(upTo count: Int) throws -> [UInt8] {
        var bytes: [UInt8] = []
        // Room for what is on disk (raw) or 64 KiB (gzip) at first, doubling as it fills.
        var chunk = Swift.min(count, isGzip ? 1 << 16 : Swift.max(size, 1))
        while chunk > 0 {
            let start = bytes.count
            bytes.append(contentsOf: repeatElement(0, count: chunk))
            let filled = try bytes.withUnsafeMutableBytes { try fill(UnsafeMutableRawBufferPointer(rebasing: $0[start...])) }
            bytes.removeLast(chunk - filled)
            guard filled == chunk else { break }
            chunk = Swift.min(count - bytes.count, bytes.count)
        }
        return bytes
    }

    /// Whether no data is left; reads (and drops) at most one byte.
    func isAtEnd() throws -> Bool {
        var byte: UInt8 = 0
        return try withUnsafeMutableBytes(of: &byte) { try fill($0) } == 0
    }

    /// The whole file's data, an error when there is more than `limit` bytes of it.
    static func contents(of path: String, limit: Int) throws -> [UInt8] {
        let file = try InputFile(path)
        guard file.isGzip || file.size <= limit else { throw DatasetError.tooLarge(path: path, limit: limit) }
        let bytes = try file.read(upTo: limit)
        guard try file.isAtEnd() else { throw DatasetError.tooLarge(path: path, limit: limit) }
        return bytes
    }

    /// The whole file's data as UTF-8 text, an error naming the first invalid byte when it is not.
    static func text(of path: String, limit: Int) throws -> String {
        let bytes = try contents(of: path, limit: limit)
        // Decoding replaces invalid bytes, so the text is valid exactly when it encodes back to them.
        let text = String(decoding: bytes, as: UTF8.self)
        if text.utf8.elementsEqual(bytes) { return text }
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while case .valid(let scalar) = parser.parseScalar(from: &iterator) { offset += scalar.count }
        let line = bytes[..<offset].count { $0 == UInt8(ascii: "\n") } + 1
        throw DatasetError.malformed(path: path, reason: "invalid UTF-8 at byte \(offset) (line \(line))")
    }

    /// Fills `buffer` unless the data ends first; returns the byte count.
    private func fill(_ buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let decoder { return try decoder.decompress(into: buffer) }
        var filled = 0
        while filled < buffer.count {
            let n = try readRaw(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if n == 0 { break }
            filled += n
        }
        return filled
    }

    /// One `read(2)` of the bytes on disk: the byte count, 0 at the end of the file.
    private func readRaw(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            let n = systemRead(descriptor, base, buffer.count)
            if n >= 0 { return n }
            guard errno == EINTR else { throw DatasetError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        }
    }
}

/// `read(2)`, which `InputFile.read(upTo:)` hides inside the class.
private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}
