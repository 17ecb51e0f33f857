#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// zlib's `z_stream` (zlib.h) as laid out where `uInt` is 32 bits and `uLong` and pointers are 64
/// (64-bit Linux and macOS): 112 bytes, fields at the offsets C gives them.
struct ZStream {
    var nextIn: UnsafeMutableRawPointer?
    var availIn: UInt32 = 0
    var totalIn: UInt = 0
    var nextOut: UnsafeMutableRawPointer?
    var availOut: UInt32 = 0
    var totalOut: UInt = 0
    var msg: UnsafePointer<CChar>?
    var state: OpaquePointer?
    var zalloc: OpaquePointer?
    var zfree: OpaquePointer?
    var opaque: UnsafeMutableRawPointer?
    var dataType: Int32 = 0
    var adler: UInt = 0
    var reserved: UInt = 0
}

/// Streaming gzip decompression through the system zlib loaded at run time (as the BLAS is), so
/// building needs no zlib headers.
///
/// Concatenated gzip members decompress as one stream, as `gunzip` reads them; anything after the
/// last member that is not another member is an error, and so is a stream that ends early or
/// does not check out. The decoder hands out only as many bytes as it is asked for, so a reader
/// that knows how much data to expect never holds more than that.
final class GzipDecoder {
    private typealias Version = @convention(c) () -> UnsafePointer<CChar>
    private typealias Init = @convention(c) (UnsafeMutableRawPointer, Int32, UnsafePointer<CChar>, Int32) -> Int32
    private typealias Inflate = @convention(c) (UnsafeMutableRawPointer, Int32) -> Int32
    private typealias Stream = @convention(c) (UnsafeMutableRawPointer) -> Int32

    private struct ZLib: @unchecked Sendable {
        let version: Version
        let initialize: Init
        let inflate: Inflate
        let end: Stream
        let reset: Stream
    }

    // zlib.h's constants.
    private static let ok: Int32 = 0, streamEnd: Int32 = 1, memoryError: Int32 = -4
    /// Windows of up to 2^15 bytes, gzip framing (+16) rather than zlib's.
    private static let gzipWindowBits: Int32 = 15 + 16

    private static let zlib: ZLib? = {
        #if canImport(Darwin)
        let names = ["libz.dylib", "/usr/lib/libz.1.dylib"]
        #else
        let names = ["libz.so.1", "libz.so"]
        #endif
        for name in names {
            guard let h = dlopen(name, RTLD_NOW | RTLD_LOCAL),
                  let v = dlsym(h, "zlibVersion"), let i = dlsym(h, "inflateInit2_"), let f = dlsym(h, "inflate"),
                  let e = dlsym(h, "inflateEnd"), let r = dlsym(h, "inflateReset")
            else { continue }
            return ZLib(version: unsafeBitCast(v, to: Version.self), initialize: unsafeBitCast(i, to: Init.self),
                        inflate: unsafeBitCast(f, to: Inflate.self), end: unsafeBitCast(e, to: Stream.self),
                        reset: unsafeBitCast(r, to: Stream.self))
        }
        return nil
    }()

    /// The most a deflate stream expands: 258 bytes from every 2 bits at best, about 1032:1.
    static let maximumRatio = 1032

    private let path: String
    private let zlib: ZLib
    private let source: (UnsafeMutableRawBufferPointer) throws -> Int
    /// zlib keeps a pointer back to the stream, so it lives at a fixed address.
    private let stream: UnsafeMutablePointer<ZStream>
    private let input: UnsafeMutableRawBufferPointer
    /// Past the end of the last member.
    private var finished = false

    /// A decoder of the gzip data `source` produces (it fills the buffer it is given and returns
    /// the byte count, 0 at the end); errors name `path`. Throws unless the data starts like gzip.
    init(path: String, source: @escaping (UnsafeMutableRawBufferPointer) throws -> Int) throws {
        guard let zlib = Self.zlib else {
            throw DatasetError.unreadable(path: path, reason: "zlib (libz.so.1) not found; decompress it with gunzip")
        }
        self.path = path
        self.zlib = zlib
        self.source = source
        stream = .allocate(capacity: 1)
        stream.initialize(to: ZStream())
        input = .allocate(byteCount: 1 << 16, alignment: 16)
        let status = zlib.initialize(stream, Self.gzipWindowBits, zlib.version(), Int32(MemoryLayout<ZStream>.size))
        // Every property is set, so a throw from here on runs deinit, which frees them.
        guard status == Self.ok else {
            throw DatasetError.unreadable(path: path, reason: "zlib's inflateInit2_ failed (\(status))")
        }
        guard try startsMember(), !finished else {
            throw DatasetError.malformed(path: path, reason: "not gzip (no 1f 8b magic number)")
        }
    }

    deinit {
        _ = zlib.end(stream)
        stream.deallocate()
        input.deallocate()
    }

    /// Decompresses into `buffer`, filling it unless the data ends first; returns the byte count.
    func decompress(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var written = 0
        while written < buffer.count, !finished {
            if stream.pointee.availIn == 0 {
                try refill()
                guard stream.pointee.availIn > 0 else {
                    throw DatasetError.malformed(path: path, reason: "truncated gzip stream (the file ends inside it)")
                }
            }
            let room = UInt32(clamping: buffer.count - written)
            stream.pointee.nextOut = buffer.baseAddress! + written
            stream.pointee.availOut = room
            let status = zlib.inflate(stream, 0)   // Z_NO_FLUSH
            written += Int(room - stream.pointee.availOut)
            switch status {
            case Self.ok: continue
            case Self.streamEnd:
                guard try startsMember() else {
                    throw DatasetError.malformed(path: path, reason: "trailing garbage after the gzip stream")
                }
                if !finished { _ = zlib.reset(stream) }
            case Self.memoryError:
                throw DatasetError.unreadable(path: path, reason: "out of memory decompressing")
            default:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                throw DatasetError.malformed(path: path, reason: "corrupt gzip stream: \(message)")
            }
        }
        return written
    }

    /// Whether the unread input begins a gzip member (true, or true with `finished` set when
    /// there is no input left).
    private func startsMember() throws -> Bool {
        if stream.pointee.availIn < 2 { try refill() }
        let available = Int(stream.pointee.availIn)
        if available == 0 {
            finished = true
            return true
        }
        guard available >= 2, let next = stream.pointee.nextIn else { return false }
        return next.load(as: UInt8.self) == 0x1f && next.load(fromByteOffset: 1, as: UInt8.self) == 0x8b
    }

    /// Moves the unread input to the front of the buffer and reads more after it.
    private func refill() throws {
        let left = Int(stream.pointee.availIn)
        if left > 0, let next = stream.pointee.nextIn { input.baseAddress!.copyMemory(from: next, byteCount: left) }
        let read = try source(UnsafeMutableRawBufferPointer(rebasing: input[left...]))
        stream.pointee.nextIn = input.baseAddress
        stream.pointee.availIn = UInt32(left + read)
    }
}
