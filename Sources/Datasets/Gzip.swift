import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads files that may be gzip-compressed, through the system zlib loaded at run time (as the
/// BLAS is), so building needs no zlib headers. zlib passes uncompressed files through as they are.
enum Gzip {
    private typealias Open = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>) -> OpaquePointer?
    private typealias Read = @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, UInt32) -> Int32
    private typealias Close = @convention(c) (OpaquePointer?) -> Int32

    private struct ZLib: @unchecked Sendable {
        let open: Open
        let read: Read
        let close: Close
    }

    private static let zlib: ZLib? = {
        #if canImport(Darwin)
        let names = ["libz.dylib", "/usr/lib/libz.1.dylib"]
        #else
        let names = ["libz.so.1", "libz.so"]
        #endif
        for name in names {
            guard let h = dlopen(name, RTLD_NOW | RTLD_LOCAL),
                  let o = dlsym(h, "gzopen"), let r = dlsym(h, "gzread"), let c = dlsym(h, "gzclose")
            else { continue }
            return ZLib(open: unsafeBitCast(o, to: Open.self), read: unsafeBitCast(r, to: Read.self),
                        close: unsafeBitCast(c, to: Close.self))
        }
        return nil
    }()

    /// The file's bytes, decompressed if it is gzip.
    static func contents(of path: String) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else { throw DatasetError.fileNotFound(path: path) }
        let isGzip = path.hasSuffix(".gz")
        guard isGzip else {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw DatasetError.unreadable(path: path, reason: "permission denied or not a regular file")
            }
            return [UInt8](data)
        }
        guard let zlib else {
            throw DatasetError.unreadable(path: path, reason: "zlib (libz.so.1) not found; decompress it with gunzip")
        }
        guard let file = zlib.open(path, "rb") else {
            throw DatasetError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { _ = zlib.close(file) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { zlib.read(file, $0.baseAddress, UInt32($0.count)) }
            if n < 0 { throw DatasetError.malformed(path: path, reason: "corrupt gzip stream") }
            if n == 0 { break }
            result.append(contentsOf: chunk[..<Int(n)])
        }
        return result
    }
}
