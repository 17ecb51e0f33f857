#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// zlib streams (RFC 1950) through the system zlib, loaded at run time as the Datasets target
/// loads it for gzip, so building needs no zlib headers. Without zlib, `compress` returns nil
/// and PNG falls back to stored blocks.
enum Zlib {
    // zlib.h: `uLong` is `unsigned long` (64 bits on 64-bit Linux and macOS).
    private typealias Bound = @convention(c) (UInt) -> UInt
    private typealias Compress2 = @convention(c) (UnsafeMutablePointer<UInt8>, UnsafeMutablePointer<UInt>, UnsafePointer<UInt8>, UInt, Int32) -> Int32
    private typealias Uncompress = @convention(c) (UnsafeMutablePointer<UInt8>, UnsafeMutablePointer<UInt>, UnsafePointer<UInt8>, UInt) -> Int32

    private struct Library: @unchecked Sendable {
        let bound: Bound
        let compress2: Compress2
        let uncompress: Uncompress
    }

    private static let library: Library? = {
        #if canImport(Darwin)
        let names = ["libz.dylib", "/usr/lib/libz.1.dylib"]
        #else
        let names = ["libz.so.1", "libz.so"]
        #endif
        for name in names {
            guard let h = dlopen(name, RTLD_NOW | RTLD_LOCAL),
                  let b = dlsym(h, "compressBound"), let c = dlsym(h, "compress2"), let u = dlsym(h, "uncompress")
            else { continue }
            return Library(bound: unsafeBitCast(b, to: Bound.self), compress2: unsafeBitCast(c, to: Compress2.self),
                           uncompress: unsafeBitCast(u, to: Uncompress.self))
        }
        return nil
    }()

    /// Whether the system zlib loaded.
    static var isAvailable: Bool { library != nil }

    /// `data` as a zlib stream at compression `level` (0...9), or nil without zlib.
    static func compress(_ data: [UInt8], level: Int32 = 9) -> [UInt8]? {
        guard let zlib = library, !data.isEmpty else { return nil }
        var length = zlib.bound(UInt(data.count))
        var out = [UInt8](repeating: 0, count: Int(length))
        let status = out.withUnsafeMutableBufferPointer { o in
            data.withUnsafeBufferPointer { i in zlib.compress2(o.baseAddress!, &length, i.baseAddress!, UInt(data.count), level) }
        }
        guard status == 0 else { return nil }   // Z_OK
        return Array(out.prefix(Int(length)))
    }

    /// The data of the zlib stream `stream`, which must inflate to exactly `size` bytes; nil if
    /// it does not, if it is not a valid stream, or without zlib.
    static func decompress(_ stream: [UInt8], size: Int) -> [UInt8]? {
        guard let zlib = library, !stream.isEmpty, size > 0 else { return nil }
        var length = UInt(size)
        var out = [UInt8](repeating: 0, count: size)
        let status = out.withUnsafeMutableBufferPointer { o in
            stream.withUnsafeBufferPointer { i in zlib.uncompress(o.baseAddress!, &length, i.baseAddress!, UInt(stream.count)) }
        }
        return status == 0 && Int(length) == size ? out : nil
    }
}
