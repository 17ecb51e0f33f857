import Foundation
import Layers
import TensorCore
import Testing
@testable import Interop

/// The pieces of TensorBoard's event files: protobuf's wire format, CRC-32C framing, PNG.
@Suite struct TensorBoardTests {
    @Test func protobufFieldsAreTheSpecificationsBytes() {
        var w = ProtobufWriter()
        w.varint(1, 150)                   // the specification's example: 08 96 01
        w.varint(2, -1)                    // ten bytes
        w.string(3, "hi")
        w.float(4, 1)
        w.double(5, 1)
        w.message(6) { $0.varint(1, 1) }
        w.packedDoubles(7, [0.5])
        #expect(w.bytes == [0x08, 0x96, 0x01, 0x10] + [UInt8](repeating: 0xFF, count: 9) + [0x01]
                + [0x1A, 2, 0x68, 0x69] + [0x25, 0, 0, 0x80, 0x3F] + [0x29, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F]
                + [0x32, 2, 0x08, 0x01] + [0x3A, 8, 0, 0, 0, 0, 0, 0, 0xE0, 0x3F])
    }

    @Test func checksumsMatchTheirCheckValues() {
        // The "123456789" check values of CRC-32C and CRC-32.
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(ReflectedCRC32.ieee.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        let c = CRC32C.checksum([1, 2, 3])
        #expect(CRC32C.masked([1, 2, 3]) == ((c >> 15) | (c << 17)) &+ 0xA282_EAD8)
    }

    @Test func pngIsWellFormed() {
        let png = PNG.encode(width: 3, height: 2, color: .gray, pixels: [0, 128, 255, 1, 2, 3])
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(Array(png[12..<16]) == Array("IHDR".utf8) && Array(png[16..<24]) == [0, 0, 0, 3, 0, 0, 0, 2])
        #expect(Array(png.suffix(12)) == [0, 0, 0, 0] + Array("IEND".utf8) + [0xAE, 0x42, 0x60, 0x82])
        // Stored deflate blocks: each row's filter byte and pixels as they are, then Adler-32.
        let z = PNG.zlibStored([0, 0, 128, 255])
        #expect(z == [0x78, 0x01, 0x01, 4, 0, 0xFB, 0xFF, 0, 0, 128, 255] + [0x02, 0x03, 0x01, 0x80])   // Adler-32: a = 384, b = 515
        #expect(PNG.zlibStored([UInt8](repeating: 7, count: 70_000)).count == 2 + 2 * 5 + 70_000 + 4)
    }

    @Test func eventFilesAreFramedRecords() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tb-\(UUID().uuidString)").path
        let writer = try SummaryWriter(logDirectory: directory)
        writer.addScalar("loss", 0.25, step: 3)
        writer.addHistogram("w", values: [0, 1, 2, 3, .nan], step: 3, bins: 3)
        writer.addImage("samples", Tensor.uniform([2, 1, 4, 5]), step: 0, columns: 2)
        writer.addText("run", "hello", step: 0)
        writer.close()
        writer.addScalar("after", 1, step: 4)   // dropped, not a crash
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: writer.path)))
        var offset = 0, records: [[UInt8]] = []
        while offset < bytes.count {
            let lengthBytes = Array(bytes[offset..<(offset + 8)])
            let length = lengthBytes.enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            func word(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * $1) } }
            #expect(word(offset + 8) == CRC32C.masked(lengthBytes))
            let record = Array(bytes[(offset + 12)..<(offset + 12 + length)])
            #expect(word(offset + 12 + length) == CRC32C.masked(record))
            records.append(record)
            offset += 16 + length
        }
        #expect(records.count == 5 && offset == bytes.count)
        #expect(records[0].suffix(15) == [0x1A, 13] + Array("brain.Event:2".utf8))
        // The scalar: simple_value (field 2, fixed32) 0.25 under the tag.
        #expect(records[1].suffix(11) == [0x0A, 4] + Array("loss".utf8) + [0x15, 0, 0, 0x80, 0x3E])
        let (png, height, width, channels) = SummaryWriter.png(Tensor.uniform([3, 1, 4, 5]), columns: 2)
        #expect((height, width, channels) == (8, 10, 1) && png.count > 8 * 11)
    }
}
