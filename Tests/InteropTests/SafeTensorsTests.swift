import Foundation
import Interop
import TensorCore
import Testing

func temporaryPath(_ name: String) -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
    try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent(name).path
}

@Suite struct SafeTensorsTests {
    @Test func safetensorsRoundTripAndLayout() throws {
        let path = temporaryPath("t.safetensors")
        let tensors = ["a": Tensor([[1, 2, 3], [4, 5, 6]]), "b": Tensor(integers: [7, -8]), "c": Tensor(integers: [9], dtype: .int32)]
        try SafeTensors.save(tensors, metadata: ["k": "v"], to: path)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let headerLength = Int(bytes[0]) | Int(bytes[1]) << 8
        #expect((8 + headerLength) % 8 == 0)
        let header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
        #expect(header.contains(#""a":{"data_offsets":[0,24],"dtype":"F32","shape":[2,3]}"#))
        let (loaded, metadata) = try SafeTensors.load(path)
        #expect(metadata == ["k": "v"])
        #expect(loaded["a"]!.scalars == [1, 2, 3, 4, 5, 6] && loaded["a"]!.shape == [2, 3])
        #expect(loaded["b"]!.dtype == .int64 && loaded["b"]!.integers == [7, -8])
        #expect(loaded["c"]!.dtype == .int32 && loaded["c"]!.integers == [9])
    }

    @Test func corruptFilesAreRejectedWithTheReason() throws {
        let path = temporaryPath("bad.safetensors")
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
        #expect(throws: SafeTensors.FormatError(path: path, reason: "shorter than its 8-byte header length")) {
            try SafeTensors.load(path)
        }
        try Data([200, 0, 0, 0, 0, 0, 0, 0, 123]).write(to: URL(fileURLWithPath: path))
        #expect(throws: SafeTensors.FormatError(path: path, reason: "header length 200 exceeds the file size 9")) {
            try SafeTensors.load(path)
        }
        // A valid file cut short loses data the header promises.
        try SafeTensors.save(["w": Tensor.ones([4])], to: path)
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        try whole.dropLast(4).write(to: URL(fileURLWithPath: path))
        #expect(throws: SafeTensors.FormatError.self) { try SafeTensors.load(path) }
    }
}
