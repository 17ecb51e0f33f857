import Testing
import TensorCore
import TestSupport

/// `expectClose` and `gradcheck` must fail on a NaN or an infinity that the expected values do
/// not hold in the same place: a NaN compares false with everything, so a plain `error > tol`
/// test never fires.
@Suite struct TestHelpersCatchNaNTests {
    @Test func expectCloseFailsOnAnUnexpectedNaN() {
        withKnownIssue { expectClose(Tensor([1, .nan]), [1, 2]) }
        withKnownIssue { expectClose(Tensor([.nan, 2]), [1, 2]) }
        withKnownIssue { expectClose(Tensor([1, 2]), [1, .nan]) }
        withKnownIssue { expectClose(Tensor([1, 2, 3]), Tensor([1, .nan, 3])) }
        withKnownIssue { expectClose(Tensor([.infinity]), [1]) }
        withKnownIssue { expectClose(Tensor([1]), [-.infinity]) }
        withKnownIssue { expectClose(Tensor([-.infinity]), [.infinity]) }
        withKnownIssue { expectClose(Tensor([.nan]), [.infinity]) }
    }

    @Test func expectCloseAcceptsTheSameNaNsAndInfinities() {
        expectClose(Tensor([1, .nan, .infinity, -.infinity]), [1, .nan, .infinity, -.infinity])
        #expect(closenessExcess([.nan, 1], [.nan, 1], atol: 0, rtol: 0) == 0)
        #expect(closenessExcess([2, .nan], [2, 3], atol: 1, rtol: 0) == .infinity)
        #expect(closenessExcess([2, 3], [2, .nan], atol: 1, rtol: 0) == .infinity)
        #expect(closenessExcess([1, 2.5], [1, 2], atol: 0.25, rtol: 0) == 0.25)
    }

    @Test func gradcheckFailsOnANaNGradient() {
        // √(x²) at 0: the analytical gradient is 0/0 = NaN, central differences give 0.
        let analytical = gradcheck({ sqrt($0[0] * $0[0]) }, at: [Tensor([0, 1.5])])
        #expect(!analytical.passed && analytical.worstRatio == .infinity, "\(analytical)")
        #expect(analytical.worst.contains("element 0"))
        // A NaN in the function's value: the numerical gradient is NaN, the analytical one is 1.
        let numerical = gradcheck({ $0[0] + log(Tensor(-10)) }, at: [Tensor([1, 2])])
        #expect(!numerical.passed && numerical.worstRatio == .infinity, "\(numerical)")
        // The same functions away from the trouble pass.
        #expect(gradcheck({ sqrt($0[0] * $0[0]) }, at: [Tensor([0.5, 1.5])]).passed)
        #expect(gradcheck({ $0[0] + log(Tensor(10)) }, at: [Tensor([1, 2])]).passed)
    }

    @Test func gradcheckFailsOnAnInfiniteGradient() {
        // 1/x at 0 from the right: the gradient -1/x² is -infinity there.
        let result = gradcheck({ 1 / $0[0] }, at: [Tensor([0, 1])])
        #expect(!result.passed, "\(result)")
    }
}
