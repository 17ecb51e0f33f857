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

    /// The saved step count: an integer scalar in 0...2^40.
    static func stepCount(in state: [String: Tensor]) throws -> Int {
        guard let t = state["step"], t.scalarCount == 1, t.rank <= 1 else {
            throw OptimizerStateError(description: "saved optimizer state has no step count")
        }
        guard t.dtype != .float32 else { throw OptimizerStateError(description: "step count is float32, expected an integer") }
        let step = t.integers[0]
        guard (0...(1 << 40)).contains(step) else { throw OptimizerStateError(description: "step count \(step) is not in 0...2^40") }
        return step
    }

    /// Throws for an entry that is neither `step` (when `hasStep`), one of `scalars`, nor
    /// `<buffer>.<index>` for one of `buffers` and a parameter index: a state saved by another
    /// optimizer, or for other parameters, is an error rather than silently ignored.
    func checkEntries(_ state: [String: Tensor], buffers: [String], scalars: [String] = [], hasStep: Bool) throws {
        for name in state.keys.sorted() {
            if (hasStep && name == "step") || scalars.contains(name) { continue }
            let parts = name.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 2, buffers.contains(String(parts[0])), let i = Int(parts[1]), (0..<parameters.count).contains(i),
                  String(i) == parts[1]
            else { throw OptimizerStateError(description: "unexpected entry '\(name)' for \(Self.self) over \(parameters.count) parameters") }
        }
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

    /// Takes back what `export` wrote; missing entries leave a buffer to start from zero. Each
    /// entry must be float32 of its parameter's shape with finite values (and none negative
    /// when `nonNegative`, as for sums of squares, whose square root the update takes).
    mutating func load(_ name: String, from state: [String: Tensor], shapes: [Shape], nonNegative: Bool = false) throws {
        var loaded = [Tensor?](repeating: nil, count: shapes.count)
        for (i, shape) in shapes.enumerated() {
            guard let t = state["\(name).\(i)"] else { continue }
            guard t.shape == shape, t.dtype == .float32 else {
                throw OptimizerStateError(description: "\(name).\(i) is \(t.dtype) \(t.shape), parameter \(i) needs float32 \(shape)")
            }
            let bad = t.withUnsafeBufferPointer { $0.contains { !$0.isFinite || (nonNegative && $0 < 0) } }
            guard !bad else {
                throw OptimizerStateError(description: "\(name).\(i) holds \(nonNegative ? "negative or " : "")non-finite values")
            }
            loaded[i] = t.detached()
        }
        buffers = loaded
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
