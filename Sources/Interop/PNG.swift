import TensorCore

/// PNG images (ISO/IEC 15948): 8-bit grayscale, RGB or RGBA, for TensorBoard's image summaries.
///
/// The image data goes in stored (uncompressed) deflate blocks, which every PNG reader accepts
/// and which need no compressor: the images written so far are small (a grid of 28x28 samples).
public enum PNG {
    public enum ColorType: UInt8, Sendable { case gray = 0, rgb = 2, rgba = 6 }

    /// The PNG file of `pixels`: rows top to bottom, each `width · channels` bytes.
    public static func encode(width: Int, height: Int, color: ColorType, pixels: [UInt8]) -> [UInt8] {
        let channels = color == .gray ? 1 : color == .rgb ? 3 : 4
        require(width > 0 && height > 0 && width <= 1 << 24 && height <= 1 << 24, "PNG: size \(width)x\(height) is not in 1...2^24")
        require(pixels.count == width * height * channels,
                "PNG: \(pixels.count) bytes for a \(width)x\(height) image of \(channels) channels")
        var raw: [UInt8] = []
        raw.reserveCapacity((width * channels + 1) * height)
        for row in 0..<height {
            raw.append(0)   // filter: none
            raw += pixels[(row * width * channels)..<((row + 1) * width * channels)]
        }
        var file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        func chunk(_ type: String, _ data: [UInt8]) {
            file += bigEndian(UInt32(data.count))
            let body = Array(type.utf8) + data
            file += body
            file += bigEndian(ReflectedCRC32.ieee.checksum(body))
        }
        chunk("IHDR", bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [8, color.rawValue, 0, 0, 0])
        chunk("IDAT", zlibStored(raw))
        chunk("IEND", [])
        return file
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
