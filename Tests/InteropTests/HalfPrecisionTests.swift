import Foundation
import TensorCore
import Testing
@testable import Interop

/// PyTorch's narrower floating-point types, read into float32.
@Suite struct HalfPrecisionTests {
    @Test func halfPrecisionConvertsExactly() {
        #expect(SafeTensors.halfToFloat(0x3C00) == 1 && SafeTensors.halfToFloat(0xC000) == -2)
        #expect(SafeTensors.halfToFloat(0x0001) == 0x1p-24 && SafeTensors.halfToFloat(0x7BFF) == 65504)
        #expect(SafeTensors.halfToFloat(0x7C00) == .infinity && SafeTensors.halfToFloat(0x7E00).isNaN)
        #expect(SafeTensors.halfToFloat(0x8000).sign == .minus && SafeTensors.halfToFloat(0x3555) == 0.33325195)
    }

    @Test func narrowTensorsAreReadAsFloat32() throws {
        // One F16 [2] tensor (1, -2), one BF16 [1] (1.5), one F64 [1] (0.25), by hand.
        let header = #"{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[4,6]},"c":{"dtype":"F64","shape":[1],"data_offsets":[6,14]}}"#
        var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Array($0) } + Array(header.utf8)
        bytes += [0x00, 0x3C, 0x00, 0xC0] + [0xC0, 0x3F] + withUnsafeBytes(of: (0.25 as Double).bitPattern.littleEndian) { Array($0) }
        let (tensors, _) = try SafeTensors.decode(Data(bytes))
        #expect(tensors["a"]!.dtype == .float32 && tensors["a"]!.scalars == [1, -2])
        #expect(tensors["b"]!.scalars == [1.5] && tensors["c"]!.scalars == [0.25])
        let short = #"{"a":{"dtype":"F16","shape":[3],"data_offsets":[0,4]}}"#
        let bad = withUnsafeBytes(of: UInt64(short.utf8.count).littleEndian) { Array($0) } + Array(short.utf8) + [0, 0, 0, 0]
        #expect(throws: SafeTensors.FormatError.self) { try SafeTensors.decode(Data(bad)) }
    }
}
