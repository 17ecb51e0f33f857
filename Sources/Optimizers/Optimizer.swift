import Layers
import TensorCore

/// Updates parameters from their gradients. Call `step()` after `backward()`, then `zeroGrad()`.
public protocol Optimizer: AnyObject {
    /// The parameters updated, in a fixed order (optimizer state is kept per position).
    var parameters: [Parameter] { get }
    /// The step size; schedules change it between steps.
    var learningRate: Float { get set }
    /// Applies one update to every trainable parameter that has a gradient.
    func step()
}

extension Optimizer {
    /// Clears every parameter's gradient.
    public func zeroGrad() {
        for p in parameters { p.grad = nil }
    }

    /// Runs `update` over each trainable parameter with a gradient, handing it the parameter's
    /// index, its values (writable, kept on the tape) and its gradient.
    func forEachUpdate(
        _ update: (Int, UnsafeMutableBufferPointer<Float>, UnsafeBufferPointer<Float>) -> Void
    ) {
        withoutGradients {
            for (i, p) in parameters.enumerated() where p.isTrainable {
                guard let g = p.grad else { continue }
                g.withUnsafeBufferPointer { grad in
                    p.value.withUnsafeMutableBufferPointer { value in update(i, value, grad) }
                }
            }
        }
    }
}

/// Per-parameter state buffers (momentum, moments), created zeroed on first use.
struct StateBuffers {
    private var buffers: [[Float]] = []

    mutating func withBuffer<R>(_ index: Int, count: Int, _ body: (UnsafeMutableBufferPointer<Float>) -> R) -> R {
        while buffers.count <= index { buffers.append([]) }
        if buffers[index].count != count { buffers[index] = [Float](repeating: 0, count: count) }
        return buffers[index].withUnsafeMutableBufferPointer { body($0) }
    }
}
