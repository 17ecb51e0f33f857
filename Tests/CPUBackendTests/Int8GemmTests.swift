import Testing
@testable import CPUBackend

/// Every int8 path this processor has equals the portable loop exactly (integer arithmetic), and
/// the portable loop equals sums computed here, over sizes with partial vectors and odd row
/// counts, activations over their whole 7-bit range and weights over all of int8.
@Test func int8ProductsAreExactOnEveryPath() {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state >> 33
    }
    for (m, n, k) in [(1, 1, 1), (3, 5, 31), (7, 9, 32), (5, 4, 33), (17, 13, 100), (64, 10, 784), (33, 130, 257), (3, 6, 20_000), (2, 3, 0)] {
        var a = (0..<(m * k)).map { _ in UInt8(next() % 128) }
        var b = (0..<(n * k)).map { _ in Int8(truncatingIfNeeded: next()) }
        // The extremes, where vpmaddubsw's pair sums come closest to int16's limits.
        if k > 0 { a[0] = 127; b[0] = -128 }
        if k > 1 { a[1] = 127; b[1] = -128 }
        var expected = [Int32](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { expected[i * n + j] = (0..<k).reduce(Int32(0)) { $0 + Int32(a[i * k + $1]) * Int32(b[j * k + $1]) } } }
        for path in Int8Gemm.availablePaths {
            // A row stride wider than n: the gap must be left alone.
            let ldc = n + 3
            var c = [Int32](repeating: -7, count: m * ldc)
            c.withUnsafeMutableBufferPointer { Int8Gemm.multiply(a, b, $0.baseAddress!, m: m, n: n, k: k, ldc: ldc, path: path) }
            let packed = (0..<m).flatMap { i in c[(i * ldc)..<(i * ldc + n)] }
            #expect(packed == expected, "\(path) \(m)x\(n)x\(k)")
            #expect((0..<m).allSatisfy { i in c[(i * ldc + n)..<(i * ldc + ldc)].allSatisfy { $0 == -7 } })
        }
    }
    #expect(Int8Gemm.availablePaths.first == .portable)
}
