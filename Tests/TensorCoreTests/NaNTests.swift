import Testing
import TensorCore
import TestSupport

/// Lengths that cover a lone scalar, a partial vector, one full AVX vector and vectors with a
/// scalar tail.
let nanLengths = [1, 7, 8, 17, 33]

/// `n` finite values of both signs (none zero), with NaN at `k`.
func rowWithNaN(_ n: Int, at k: Int) -> Tensor {
    var x = (0..<n).map { Float(($0 * 7) % 17) / 2 - 4.25 }
    x[k] = .nan
    return Tensor(x)
}

/// Which elements are NaN.
func nanMask(_ x: Tensor) -> [Bool] { x.scalars.map(\.isNaN) }

/// One elementwise op that compares, picks or clamps.
struct NaNCase: CustomTestStringConvertible, Sendable {
    let name: String
    let f: @Sendable (Tensor) -> Tensor
    var testDescription: String { name }
    init(_ name: String, _ f: @escaping @Sendable (Tensor) -> Tensor) { self.name = name; self.f = f }
}

let nanCases: [NaNCase] = [
    NaNCase("relu") { relu($0) },
    NaNCase("leakyRelu") { leakyRelu($0) },
    NaNCase("elu") { elu($0) },
    NaNCase("gelu") { gelu($0) },
    NaNCase("gelu tanh") { gelu($0, approximate: true) },
    NaNCase("softplus") { softplus($0) },
    NaNCase("sigmoid") { sigmoid($0) },
    NaNCase("tanh") { tanh($0) },
    NaNCase("abs") { abs($0) },
    NaNCase("sign") { sign($0) },
    NaNCase("maximum(x, 1)") { maximum($0, 1) },
    NaNCase("maximum(1, x)") { maximum(Tensor(1), $0) },
    NaNCase("minimum(x, 1)") { minimum($0, 1) },
    NaNCase("minimum(1, x)") { minimum(Tensor(1), $0) },
    NaNCase("clamped(min:)") { $0.clamped(min: 0) },
    NaNCase("clamped(max:)") { $0.clamped(max: 0) },
    NaNCase("clamped(min:max:)") { $0.clamped(min: -1, max: 1) },
]

/// Every op that picks, compares or clamps, with a NaN at each position of rows of every length:
/// the NaN comes out where it went in (PyTorch's behaviour; `Swift.max` and `a > b ? a : b` drop it).
@Suite struct NaNPropagationTests {
    @Test("elementwise ops keep NaN in place", arguments: nanCases)
    func elementwiseOpsKeepNaN(_ c: NaNCase) {
        for n in nanLengths {
            for k in 0..<n {
                let y = c.f(rowWithNaN(n, at: k))
                #expect(nanMask(y) == (0..<n).map { $0 == k }, "\(c.name) n=\(n) NaN at \(k): \(y.scalars)")
            }
        }
    }

    @Test func theBriefsExamples() {
        #expect(relu(Tensor(Float.nan)).scalar.isNaN)
        #expect(maximum(Tensor(Float.nan), Tensor(1)).scalar.isNaN)
        #expect(maximum(Tensor(1), Tensor(Float.nan)).scalar.isNaN)
        #expect(minimum(Tensor(Float.nan), Tensor(1)).scalar.isNaN)
        #expect(minimum(Tensor(1), Tensor(Float.nan)).scalar.isNaN)
        #expect(Tensor(Float.nan).clamped(min: 0, max: 1).scalar.isNaN)
        // Finite values are unchanged, -0 included.
        #expect(relu(Tensor([-1, -0.0, 0, 2])).scalars.map(\.bitPattern) == [0, 0, 0, Float(2).bitPattern])
        #expect(sign(Tensor([-3, -0.0, 0, 5])).scalars == [-1, 0, 0, 1])
    }

    @Test func broadcastNaNOperands() {
        // A NaN scalar against a row, a row with a NaN against a column.
        #expect(maximum(Tensor([1, 2, 3]), Tensor(Float.nan)).scalars.allSatisfy { $0.isNaN })
        #expect(minimum(Tensor(Float.nan), Tensor([1, 2, 3])).scalars.allSatisfy { $0.isNaN })
        let y = maximum(Tensor([1, .nan, 3]), Tensor([[0], [5]]))
        #expect(nanMask(y) == [false, true, false, false, true, false])
        #expect(y.scalars[0] == 1 && y.scalars[3] == 5)
    }

    @Test func reductionsAndArgExtremaSeeNaN() {
        for n in nanLengths {
            for k in 0..<n {
                let x = rowWithNaN(n, at: k)
                #expect(x.max().scalar.isNaN && x.min().scalar.isNaN, "n=\(n) NaN at \(k)")
                #expect(x.argmax().integers == [k] && x.argmin().integers == [k], "n=\(n) NaN at \(k)")
                // Along each axis of [2, n] and [n, 2]: only the slices holding the NaN.
                let clean = Tensor((0..<n).map { Float($0) })
                let rows = Tensor.stack([clean, x])
                #expect(nanMask(rows.max(along: 1)) == [false, true] && rows.max(along: 1).scalars[0] == Float(n - 1))
                #expect(nanMask(rows.min(along: 1)) == [false, true])
                #expect(rows.argmax(along: 1).integers == [n - 1, k])
                let columns = rows.transposed()
                #expect(nanMask(columns.max(along: 0)) == [false, true] && nanMask(columns.min(along: 0)) == [false, true])
                #expect(columns.argmin(along: 0).integers == [0, k])
                #expect(x.logSumExp(along: 0).scalar.isNaN)
                let s = softmax(rows, along: 1)
                #expect(nanMask(s) == (0..<(2 * n)).map { $0 >= n }, "softmax n=\(n) NaN at \(k)")
                #expect(nanMask(softmax(columns, along: 0)) == (0..<(2 * n)).map { $0 % 2 == 1 })
            }
        }
    }

    @Test func maxPoolingSeesNaN() {
        for n in nanLengths {
            for k in 0..<n {
                // 1-D, kernel 3 stride 1 (padded by 1): the windows that cover k are NaN.
                let x = rowWithNaN(n, at: k).reshaped(to: [1, 1, n])
                let y = maxPool1d(x, kernelSize: 3, stride: 1, padding: 1)
                #expect(nanMask(y) == (0..<n).map { Swift.abs($0 - k) <= 1 }, "maxPool1d n=\(n) NaN at \(k): \(y.scalars)")
                if n >= 2 {
                    let unpadded = maxPool1d(x, kernelSize: 2)
                    #expect(nanMask(unpadded) == (0..<(n / 2)).map { $0 == k / 2 }, "maxPool1d k2 n=\(n) NaN at \(k)")
                }
            }
        }
        // 2-D, 2x2 stride 2 (the vector path) and 3x3 stride 1: NaN windows, and the gradient
        // of each goes to the NaN that won it.
        for (kernel, stride) in [((2, 2), (2, 2)), ((3, 3), (1, 1))] {
            for k in [0, 5, 13, 23, 35] {
                var image = (0..<36).map { Float(($0 * 11) % 37) }
                image[k] = .nan
                var x = Tensor(image, shape: [1, 1, 6, 6])
                x.requiresGrad = true
                let y = maxPool2d(x, kernelSize: kernel, stride: stride)
                let (oh, ow) = (y.shape[2], y.shape[3])
                let (r, c) = (k / 6, k % 6)
                let want = (0..<(oh * ow)).map { o -> Bool in
                    let (i, j) = (o / ow * stride.0, o % ow * stride.1)
                    return (i..<(i + kernel.0)).contains(r) && (j..<(j + kernel.1)).contains(c)
                }
                #expect(nanMask(y) == want, "maxPool2d \(kernel) NaN at \(k)")
                y.sum().backward()
                let grad = x.grad!.scalars
                #expect(grad[k] == Float(want.filter { $0 }.count), "the NaN takes every window it is in")
                #expect(grad.allSatisfy { !$0.isNaN })
            }
        }
    }

    @Test func gradientsAtNaNAreDefined() {
        // relu lets the gradient through at NaN (PyTorch's threshold_backward compares the output).
        let (_, reluGrad) = valueWithGradient(at: [Tensor([.nan, -1, 2])]) { relu($0[0]).sum() }
        #expect(reluGrad[0].scalars == [1, 0, 1])
        // maximum and minimum: where either side is NaN, both take the gradient (PyTorch's rule).
        for f in [maximum, minimum] as [(Tensor, Tensor) -> Tensor] {
            let (_, g) = valueWithGradient(at: [Tensor([.nan, 1, 3, 2]), Tensor([0, .nan, 1, 2])]) { (f($0[0], $0[1]) * Tensor([1, 2, 3, 4])).sum() }
            let other: Float = f(Tensor(3), Tensor(1)).scalar == 3 ? 0 : 3
            #expect(g[0].scalars == [1, 2, 3 - other, 2] && g[1].scalars == [1, 2, other, 2])
        }
        // A max or min reduction with a NaN has no extreme to send the gradient to: the slice's
        // gradient is NaN, as PyTorch's (OpInfoTests pins it against PyTorch); other slices are untouched.
        let (_, maxGrad) = valueWithGradient(at: [Tensor([[1, .nan, 3], [4, 6, 6]])]) { ($0[0].max(along: 1) * Tensor([2, 3])).sum() }
        #expect(maxGrad[0].scalars[0..<3].allSatisfy { $0.isNaN } && Array(maxGrad[0].scalars[3...]) == [0, 1.5, 1.5])
        let (_, minGrad) = valueWithGradient(at: [Tensor([.nan, -1, .nan])]) { $0[0].min() }
        #expect(minGrad[0].scalars.allSatisfy { $0.isNaN })
        // clamp passes it through the NaN as well; nothing here is NaN but the forward values.
        let (value, clampGrad) = valueWithGradient(at: [Tensor([.nan, 0.5, 3])]) { $0[0].clamped(min: 0, max: 1).sum() }
        #expect(value.scalar.isNaN && clampGrad[0].scalars == [1, 1, 0])
    }
}
