/// One tensor's entry on the tape: a leaf (no `op`) or the result of an operation.
package final class GradNode {
    package private(set) var op: Op?
    package let shape: Shape
    /// The result's elements, for rules written in terms of the output (exp, tanh, max...).
    private(set) var output: TensorStorage?
    /// Leaves: the accumulated gradient. Results: nothing (gradients are not retained).
    package var grad: Tensor?
    /// Leaves: called by `backward()` with the accumulated gradient once this walk has added
    /// everything it will (PyTorch's post-accumulate-grad hook).
    package var gradientHook: ((Tensor) -> Void)?
    /// Set once `backward()` has used this result and dropped what it saved.
    private(set) var isReleased = false

    /// Drops the operation and its saved tensors, as PyTorch frees a graph after `backward()`:
    /// memory goes back at once, and weights the graph read are no longer shared, so an
    /// optimizer can update them in place without copying.
    func release() {
        op = nil
        output = nil
        isReleased = true
    }

    init(leafOfShape shape: Shape) {
        op = nil
        self.shape = shape
        output = nil
    }

    init(op: Op, shape: Shape, output: TensorStorage) {
        self.op = op
        self.shape = shape
        self.output = output
    }
}

extension Tensor {
    /// Attaches `op` to a freshly computed result when recording is on and an input needs it.
    @inline(__always)
    mutating func record(_ op: @autoclosure () -> Op, if tracked: Bool) {
        if tracked && GradMode.isEnabled {
            node = GradNode(op: op(), shape: shape, output: storage)
        }
    }

    /// The sum of `self` down to `target` along the dimensions that broadcasting added or grew.
    func unbroadcasted(to target: Shape) -> Tensor {
        if shape == target { return self }
        let offset = rank - target.rank
        var axes = Array(0..<offset)
        for i in 0..<target.rank where target[i] == 1 && shape[i + offset] != 1 {
            axes.append(i + offset)
        }
        return sum(along: axes, keepingDims: true).reshaped(to: target)
    }
}
