import TensorCore
import TestSupport
import Testing

/// A fused `a · tanh(b)` with a broadcast `b`, written outside TensorCore through `CustomOp`.
private struct ScaledTanh: CustomOp {
    var name: String { "scaledTanh" }
    func forward(_ inputs: [Tensor]) -> Tensor { inputs[0] * tanh(inputs[1]) }
    func gradients(_ g: Tensor, inputs: [Tensor], output: Tensor) -> [Tensor?] {
        let t = tanh(inputs[1])
        return [g * t, g * inputs[0] * (1 - t * t)]   // summed down to b's shape by backward()
    }
}

/// A custom op whose rule is deliberately wrong: the checker must notice.
private struct WrongSquare: CustomOp {
    var name: String { "wrongSquare" }
    func forward(_ inputs: [Tensor]) -> Tensor { inputs[0] * inputs[0] }
    func gradients(_ g: Tensor, inputs: [Tensor], output: Tensor) -> [Tensor?] { [g * inputs[0]] }
}

@Suite struct CustomOpTests {
    @Test func aCustomOpIsRecordedAndItsRuleMatchesCentralDifferences() {
        let a = Random.withSeed(1) { Tensor.normal([3, 4]) }, b = Random.withSeed(2) { Tensor.normal([4]) }
        let result = gradcheck({ Tensor.custom(ScaledTanh(), [$0[0], $0[1]]).sum() }, at: [a, b])
        #expect(result.passed, "\(result)")
        #expect(Tensor.custom(ScaledTanh(), [a, b]).scalars == (a * tanh(b)).scalars)
        #expect(!Tensor.custom(ScaledTanh(), [a, b]).requiresGrad)   // untracked inputs record nothing
    }

    @Test func aWrongCustomRuleFailsTheCheck() {
        let x = Random.withSeed(3) { Tensor.normal([5]) }
        #expect(!gradcheck({ Tensor.custom(WrongSquare(), [$0[0]]).sum() }, at: [x]).passed)
    }
}
