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
    /// Moments, momenta and step counts by name (`exp_avg.0`, `step`), for checkpoints.
    func stateDictionary() -> [String: Tensor]
    /// Restores what `stateDictionary()` returned, so that training resumes where it stopped.
    func loadStateDictionary(_ state: [String: Tensor]) throws
}

/// A saved optimizer state that does not fit the optimizer it is loaded into.
public struct OptimizerStateError: Error, CustomStringConvertible {
    public let description: String
}

extension Optimizer {
    var parameterShapes: [Shape] { parameters.map(\.shape) }

    /// A step count saved as an int64 scalar.
    static func stepEntry(_ count: Int) -> [String: Tensor] { ["step": Tensor(integers: [count], shape: [])] }

    static func stepCount(in state: [String: Tensor]) throws -> Int {
        guard let t = state["step"], t.scalarCount == 1 else {
            throw OptimizerStateError(description: "saved optimizer state has no step count")
        }
        return t.integers[0]
    }

    /// Clears every parameter's gradient.
    public func zeroGrad() {
        for p in parameters { p.grad = nil }
    }

    /// Runs `update` over each trainable parameter with a gradient, handing it the parameter's
    /// index, its value (to update in place through the kernel seam; the tape entry is kept) and
    /// its gradient.
    func forEachUpdate(_ update: (Int, inout Tensor, Tensor) -> Void) {
        withoutGradients {
            for (i, p) in parameters.enumerated() where p.isTrainable {
                guard let g = p.grad else { continue }
                p.updateInPlace { update(i, &$0, g) }
            }
        }
    }
}

/// Per-parameter state tensors (momentum, moments) on the parameters' device, created zeroed by
/// the update kernels on first use.
struct StateBuffers {
    private var buffers: [Tensor?] = []

    /// Each existing buffer as `name.index`, shaped like its parameter.
    func export(_ name: String) -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for (i, b) in buffers.enumerated() {
            if let b { result["\(name).\(i)"] = b.detached() }
        }
        return result
    }

    /// Takes back what `export` wrote; missing entries leave a buffer to start from zero.
    mutating func load(_ name: String, from state: [String: Tensor], shapes: [Shape]) throws {
        buffers = Array(repeating: nil, count: shapes.count)
        for (i, shape) in shapes.enumerated() {
            guard let t = state["\(name).\(i)"] else { continue }
            guard t.shape == shape else {
                throw OptimizerStateError(description: "\(name).\(i) has shape \(t.shape), parameter \(i) has \(shape)")
            }
            buffers[i] = t.converted(to: .float32).detached()
        }
    }

    /// Parameter `index`'s buffer (nil until its first update), for the update kernels to fill.
    /// Accessed in place (`_modify`), so a kernel writing through it does not copy the buffer.
    subscript(index: Int) -> Tensor? {
        get { index < buffers.count ? buffers[index] : nil }
        _modify {
            while buffers.count <= index { buffers.append(nil) }
            yield &buffers[index]
        }
    }
}
