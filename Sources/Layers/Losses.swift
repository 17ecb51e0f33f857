import TensorCore

/// How a loss turns per-example values into the number that is minimized.
public enum Reduction: Sendable {
    case mean, sum, none

    func apply(_ x: Tensor) -> Tensor {
        switch self {
        case .mean: return x.mean()
        case .sum: return x.sum()
        case .none: return x
        }
    }
}

/// Mean squared error. Shape: predictions and targets alike; result `[]` unless `.none`.
public func meanSquaredError(_ predictions: Tensor, _ targets: Tensor, reduction: Reduction = .mean) -> Tensor {
    reduction.apply((predictions - targets).squared())
}

/// Mean absolute error.
public func meanAbsoluteError(_ predictions: Tensor, _ targets: Tensor, reduction: Reduction = .mean) -> Tensor {
    reduction.apply(abs(predictions - targets))
}

/// Huber loss: quadratic within `delta` of the target, linear beyond (PyTorch's `HuberLoss`).
public func huberLoss(_ predictions: Tensor, _ targets: Tensor, delta: Float = 1, reduction: Reduction = .mean) -> Tensor {
    let error = abs(predictions - targets)
    let quadratic = error.clamped(max: delta)
    return reduction.apply(0.5 * quadratic.squared() + delta * (error - quadratic))
}

/// Binary cross-entropy on probabilities in (0, 1), clamped to [1e-7, 1 - 1e-7] like Keras
/// (PyTorch instead clamps each log at -100, so at exactly 0 or 1 the two differ).
public func binaryCrossEntropy(_ probabilities: Tensor, _ targets: Tensor, reduction: Reduction = .mean) -> Tensor {
    let p = probabilities.clamped(min: 1e-7, max: 1 - 1e-7)
    return reduction.apply(-(targets * log(p) + (1 - targets) * log(1 - p)))
}

/// Binary cross-entropy on logits: max(x, 0) - x·t + ln(1 + e^-|x|), stable for any x.
public func binaryCrossEntropy(logits: Tensor, _ targets: Tensor, reduction: Reduction = .mean) -> Tensor {
    // softplus(z) - z t: its gradient σ(z) - t is exact at z = 0, where every zero-initialised
    // output layer starts.
    reduction.apply(softplus(logits) - logits * targets)
}

/// Cross-entropy between logits and integer class labels, with optional label smoothing
/// (PyTorch's `CrossEntropyLoss`).
///
/// Shape: logits `[N, C]`, labels `[N]` (int32/int64) -> `[]` (or `[N]` with `.none`).
public func crossEntropy(
    logits: Tensor, labels: Tensor, labelSmoothing: Float = 0, reduction: Reduction = .mean
) -> Tensor {
    require(logits.rank == 2 && labels.rank == 1 && labels.shape[0] == logits.shape[0],
                 "crossEntropy: logits \(logits.shape) and labels \(labels.shape) should be [N, C] and [N]")
    let logProbabilities = logSoftmax(logits, along: 1)
    let picked = logProbabilities.gathering(along: 1, indices: labels.unsqueezed(at: 1)).squeezed(at: 1)
    guard labelSmoothing > 0 else { return reduction.apply(-picked) }
    // (1 - ε) of the mass on the label, ε spread evenly over all classes.
    let uniform = logProbabilities.mean(along: 1)
    return reduction.apply(-(1 - labelSmoothing) * picked - labelSmoothing * uniform)
}

/// Cross-entropy between logits and target distributions (one-hot or soft), with optional
/// label smoothing.
///
/// Shape: logits and targets `[N, C]` -> `[]` (or `[N]` with `.none`).
public func crossEntropy(
    logits: Tensor, targets: Tensor, labelSmoothing: Float = 0, reduction: Reduction = .mean
) -> Tensor {
    require(logits.shape == targets.shape, "crossEntropy: logits \(logits.shape) and targets \(targets.shape) differ")
    let classes = Float(logits.shape[logits.rank - 1])
    let smoothed = labelSmoothing > 0 ? targets * (1 - labelSmoothing) + labelSmoothing / classes : targets
    return reduction.apply(-(smoothed * logSoftmax(logits, along: -1)).sum(along: -1))
}

/// Cross-entropy of probability outputs (a softmax layer's) against target distributions, as
/// Keras's `categorical_crossentropy` with `from_logits=False` computes it: each row scaled to
/// sum to 1, clipped to [1e-7, 1 - 1e-7], then `-Σ t log p`. Prefer logits and
/// `crossEntropy(logits:...)` where the model can end without the softmax: it is exact.
///
/// Shape: probabilities and targets `[N, C]` -> `[]` (or `[N]` with `.none`).
public func crossEntropy(probabilities: Tensor, targets: Tensor, reduction: Reduction = .mean) -> Tensor {
    require(probabilities.shape == targets.shape,
            "crossEntropy: probabilities \(probabilities.shape) and targets \(targets.shape) differ")
    let p = (probabilities / probabilities.sum(along: -1, keepingDims: true)).clamped(min: 1e-7, max: 1 - 1e-7)
    return reduction.apply(-(targets * log(p)).sum(along: -1))
}

/// `crossEntropy(probabilities:targets:)` against integer labels `[N]` (Keras's
/// `sparse_categorical_crossentropy` on probabilities).
public func crossEntropy(probabilities: Tensor, labels: Tensor, reduction: Reduction = .mean) -> Tensor {
    require(probabilities.rank == 2 && labels.rank == 1 && labels.shape[0] == probabilities.shape[0],
            "crossEntropy: probabilities \(probabilities.shape) and labels \(labels.shape) should be [N, C] and [N]")
    return crossEntropy(probabilities: probabilities, targets: labels.oneHot(classCount: probabilities.shape[1]), reduction: reduction)
}

/// Kullback–Leibler divergence KL(targets ‖ predictions) from log-probabilities. `.mean` is
/// PyTorch's `kl_div(reduction="batchmean")`: the sum over all elements divided by the batch
/// size (the first axis), whatever the rank; `.sum` sums everything; `.none` gives each row's
/// divergence, summed over the last axis (Keras's `KLDivergence`; PyTorch's elementwise `none`
/// has no counterpart here).
public func klDivergence(logProbabilities: Tensor, targets: Tensor, reduction: Reduction = .mean) -> Tensor {
    let t = targets.clamped(min: 1e-12)
    let rows = (targets * (log(t) - logProbabilities)).sum(along: -1)
    switch reduction {
    case .mean: return rows.sum() / Float(Swift.max(logProbabilities.rank > 1 ? logProbabilities.shape[0] : 1, 1))
    default: return reduction.apply(rows)
    }
}

/// Hinge loss for targets in {-1, 1}: max(0, 1 - t·y).
public func hingeLoss(_ predictions: Tensor, _ targets: Tensor, reduction: Reduction = .mean) -> Tensor {
    reduction.apply(relu(1 - targets * predictions))
}

/// λ Σ |w| over the given parameters.
public func l1Penalty(_ parameters: [Parameter], lambda: Float) -> Tensor {
    parameters.map { abs($0.value).sum() }.reduce(Tensor(0), +) * lambda
}

/// λ Σ w² over the given parameters.
public func l2Penalty(_ parameters: [Parameter], lambda: Float) -> Tensor {
    parameters.map { $0.value.squared().sum() }.reduce(Tensor(0), +) * lambda
}
