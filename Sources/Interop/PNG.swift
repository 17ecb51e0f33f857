import TensorCore

/// PNG images (ISO/IEC 15948): 8-bit grayscale, RGB or RGBA, for TensorBoard's image summaries
/// and the plots.
///
/// Each row takes the filter (none, sub, up, average or Paeth) whose output has the smallest sum
/// of absolute values, libpng's heuristic, and the rows are deflated by the system zlib (`Zlib`,
/// loaded at run time). Without zlib the rows go unfiltered into stored (uncompressed) deflate
/// blocks, which every PNG reader accepts as well.
public enum PNG {
    public enum ColorType: UInt8, Sendable { case gray = 0, rgb = 2, rgba = 6 }

    /// The PNG file of `pixels`: rows top to bottom, each `width · channels` bytes.
    public static func encode(width: Int, height: Int, color: ColorType, pixels: [UInt8]) -> [UInt8] {
        let channels = color == .gray ? 1 : color == .rgb ? 3 : 4
        require(width > 0 && height > 0 && width <= 1 << 24 && height <= 1 << 24, "PNG: size \(width)x\(height) is not in 1...2^24")
        require(pixels.count == width * height * channels,
                "PNG: \(pixels.count) bytes for a \(width)x\(height) image of \(channels) channels")
        let compressed = Zlib.isAvailable ? Zlib.compress(filtered(pixels, width: width, height: height, channels: channels)) : nil
        let data = compressed ?? zlibStored(unfiltered(pixels, rowBytes: width * channels, height: height))
        var file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        func chunk(_ type: String, _ data: [UInt8]) {
            file += bigEndian(UInt32(data.count))
            let body = Array(type.utf8) + data
            file += body
            file += bigEndian(ReflectedCRC32.ieee.checksum(body))
        }
        chunk("IHDR", bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [8, color.rawValue, 0, 0, 0])
        chunk("IDAT", data)
        chunk("IEND", [])
        return file
    }

    /// The rows, each after a filter-type byte of 0 (none).
    static func unfiltered(_ pixels: [UInt8], rowBytes: Int, height: Int) -> [UInt8] {
        var raw: [UInt8] = []
        raw.reserveCapacity((rowBytes + 1) * height)
        for row in 0..<height {
            raw.append(0)
            raw += pixels[(row * rowBytes)..<((row + 1) * rowBytes)]
        }
        return raw
    }

    /// The rows, each after its filter-type byte and filtered by it (PNG's filter method 0): the
    /// filter of the smallest sum of absolute (signed) output bytes.
    static func filtered(_ pixels: [UInt8], width: Int, height: Int, channels: Int) -> [UInt8] {
        let n = width * channels
        var raw: [UInt8] = []
        raw.reserveCapacity((n + 1) * height)
        let zeros = [UInt8](repeating: 0, count: n)
        var candidates = [[UInt8]](repeating: zeros, count: 5)
        pixels.withUnsafeBufferPointer { p in
            for row in 0..<height {
                let x = p.baseAddress! + row * n, up: UnsafePointer<UInt8>? = row > 0 ? p.baseAddress! + (row - 1) * n : nil
                for i in 0..<n {
                    let a = i >= channels ? Int(x[i - channels]) : 0, b = up.map { Int($0[i]) } ?? 0
                    let c = i >= channels ? up.map { Int($0[i - channels]) } ?? 0 : 0
                    let v = Int(x[i])
                    let pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c)
                    let paeth = pa <= pb && pa <= pc ? a : pb <= pc ? b : c
                    candidates[0][i] = UInt8(v)
                    candidates[1][i] = UInt8(truncatingIfNeeded: v - a)
                    candidates[2][i] = UInt8(truncatingIfNeeded: v - b)
                    candidates[3][i] = UInt8(truncatingIfNeeded: v - (a + b) / 2)
                    candidates[4][i] = UInt8(truncatingIfNeeded: v - paeth)
                }
                func cost(_ bytes: [UInt8]) -> Int { bytes.reduce(0) { $0 + Int(Swift.min($1, 0 &- $1)) } }
                let best = (0..<5).min { cost(candidates[$0]) < cost(candidates[$1]) }!
                raw.append(UInt8(best))
                raw += candidates[best]
            }
        }
        return raw
    }

    /// A zlib stream (RFC 1950) of stored deflate blocks (RFC 1951, BTYPE 00).
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var start = 0
        repeat {
            let count = Swift.min(65_535, data.count - start)
            let final: UInt8 = start + count == data.count ? 1 : 0
            out.append(final)
            out += [UInt8(count & 0xFF), UInt8(count >> 8), UInt8(~count & 0xFF), UInt8((~count >> 8) & 0xFF)]
            out += data[start..<(start + count)]
            start += count
        } while start < data.count
        var (a, b): (UInt32, UInt32) = (1, 0)
        for byte in data {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        return out + bigEndian(b << 16 | a)
    }

    private static func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
}
