import Testing
import TensorCore

/// Shape errors stop the process with a message naming the op and both shapes.
@Suite struct ErrorMessageTests {
    @Test func matmulInnerDimensions() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = matmul(Tensor.zeros([32, 784]), Tensor.zeros([128, 10]))
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("matmul: [32, 784] x [128, 10]: inner dimensions 784 and 128 differ"))
    }

    @Test func broadcastMismatch() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]) + Tensor.zeros([4])
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("+: shapes [2, 3] and [4] cannot be broadcast"))
    }

    @Test func reshapeCount() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).reshaped(to: [4, 2])
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("reshaped: cannot reshape [2, 3] (6 elements) to [4, 2]"))
    }

    @Test func secondBackwardThroughAFreedGraph() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var w = Tensor([1, 2])
            w.requiresGrad = true
            let loss = (w * w).sum()
            loss.backward()
            loss.backward()
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("backward: this graph was already freed by an earlier backward()"))
    }

    @Test func indexOutOfRange() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).gathering(along: 1, indices: Tensor(integers: [0, 3], shape: [2, 1]))
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("gathering: index 3 is out of range 0..<3"))
    }

    @Test func aWindowLargerThanItsInputStops() async {
        // 2 rows, a 3-row window, stride 2: the span (2 - 3) is negative, which integer division
        // used to round up to one output row.
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = maxPool2d(Tensor.zeros([1, 1, 2, 2]), kernelSize: (3, 3), stride: (2, 2))
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("maxPool2d: a 3x3 window (dilation 1x1) does not fit input [1, 1, 2, 2]"))
    }
}
