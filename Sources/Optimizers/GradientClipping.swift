import Layers
import TensorCore

/// Scales all gradients together so that their joint L2 norm is at most `maxNorm` (PyTorch's
/// `clip_grad_norm_`). Returns the norm before clipping.
@discardableResult
public func clipGradients(_ parameters: [Parameter], maxNorm: Float) -> Float {
    let grads = parameters.compactMap(\.grad)
    var total: Double = 0
    for g in grads { g.withUnsafeBufferPointer { for v in $0 { total += Double(v) * Double(v) } } }
    let norm = Float(total.squareRoot())
    let scale = maxNorm / (norm + 1e-6)
    if scale < 1 {
        for p in parameters where p.grad != nil { p.grad = withoutGradients { p.grad! * scale } }
    }
    return norm
}

/// Limits every gradient element to `[-maxValue, maxValue]` (PyTorch's `clip_grad_value_`).
public func clipGradients(_ parameters: [Parameter], maxValue: Float) {
    for p in parameters where p.grad != nil {
        p.grad = withoutGradients { p.grad!.clamped(min: -maxValue, max: maxValue) }
    }
}
