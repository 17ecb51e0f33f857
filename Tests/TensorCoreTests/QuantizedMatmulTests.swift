import Testing
import TensorCore

/// `quantizedMatmul` on tensors: int32 results equal to the float32 product of the same values
/// (exact: every partial sum is an integer below 2^24), on every path.
@Test func quantizedMatmulEqualsTheFloatProductOfItsValues() {
    var rng = RandomGenerator(seed: 4)
    let a = Tensor(integers: (0..<(9 * 70)).map { _ in Int(rng.next() % 128) }, shape: [9, 70], dtype: .uint8)
    let b = Tensor(integers: (0..<(6 * 70)).map { _ in Int(rng.next() % 256) - 128 }, shape: [6, 70], dtype: .int8)
    let expected = matmul(a.converted(to: .float32), b.converted(to: .float32).transposed()).integers
    for path in quantizedMatmulPaths {
        let c = quantizedMatmul(a, b, path: path)
        #expect(c.dtype == .int32 && c.shape == [9, 6])
        #expect(c.integers == expected, "\(path)")
    }
    #expect(a.withUnsafeIntegers(as: UInt8.self) { $0.count } == 630)
}
