import Foundation
import Interop
import TensorCore
import Testing

/// A safetensors file from a header written by hand and `body` data bytes.
private func file(_ header: String, body: Int) -> Data {
    var data = Data()
    let json = Array(header.utf8)
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
    data.append(contentsOf: json)
    data.append(contentsOf: [UInt8](repeating: 0, count: body))
    return data
}

private func reason(_ header: String, body: Int) -> String? {
    do {
        _ = try SafeTensors.decode(file(header, body: body), path: "f")
        return nil
    } catch let error as SafeTensors.FormatError {
        return error.reason
    } catch {
        return "\(error)"
    }
}

/// Files that the reference reader rejects (or should) are rejected with their problem named.
@Suite struct SafeTensorsValidationTests {
    @Test func aValidHandWrittenFileLoads() throws {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I64","shape":[],"data_offsets":[8,16]}}"#
        let (tensors, _) = try SafeTensors.decode(file(header, body: 16))
        #expect(tensors["a"]!.shape == [2] && tensors["b"]!.shape == [])
    }

    @Test func rangesMustTileTheData() {
        #expect(reason(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, body: 8) == "4 bytes before tensor 'a' belong to no tensor")
        #expect(reason(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, body: 8)
            == "tensor 'b' overlaps the tensor before it")
        #expect(reason(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, body: 5) == "1 trailing bytes after the last tensor")
        #expect(reason(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, body: 16) == "tensor 'a' of shape [2] needs 8 bytes, has 4")
        #expect(reason(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, body: 4) == "tensor 'a' of shape [2] is larger than the file")
    }

    @Test func repeatedNamesAreRejected() {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        #expect(reason(header, body: 4) == "header repeats a name")
        // Keys inside entries, and strings holding quotes or colons, are not names.
        let tricky = #"{"a\":b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"__metadata__":{"k":"v:\"w\""}}"#
        #expect(reason(tricky, body: 4) == nil)
    }

    @Test func shapesThatOverflowOrAreNotWholeNumbersAreRejected() {
        #expect(reason(#"{"a":{"dtype":"F32","shape":[4611686018427387904,4611686018427387904],"data_offsets":[0,4]}}"#, body: 4)
            == "tensor 'a' of shape [4611686018427387904, 4611686018427387904] is larger than the file")
        #expect(reason(#"{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, body: 4)?.contains("not up to 8 whole numbers") == true)
        #expect(reason(#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, body: 4)?.contains("not up to 8 whole numbers") == true)
        #expect(reason(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,1e30]}}"#, body: 4)?.contains("outside the 4 data bytes") == true)
        #expect(reason(#"{"a":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}"#, body: 1) == "tensor 'a' has unsupported dtype F8_E4M3 (F32, F16, BF16, F64, I32, I64, I8 and U8 are read)")
        #expect(reason(#"[1, 2]"#, body: 0) == "header is not a JSON object")
    }
}
