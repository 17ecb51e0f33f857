import CPUBackend

/// Optimizer updates, in place: on a parameter's storage (its tape entry is kept, as under
/// `torch.no_grad()`) and on the optimizer's state tensors, which live on the parameter's device
/// and are created there, zeroed, on first use (a `nil` state).
extension Kernels {
    /// Storage of `t` that this update may write: `t`'s own unless shared, then a copy.
    private static func writable(_ t: inout Tensor) -> UnsafeMutablePointer<Float> {
        t.makeStorageUnique()
        return t.storage.floats
    }

    /// `state`, created as zeros shaped like `w` when nil; whether it was created.
    @discardableResult
    private static func prepare(_ state: inout Tensor?, like w: Tensor) -> Bool {
        guard state == nil else { return false }
        state = Tensor(shape: w.shape, storage: w.device.zeros(.float32, count: w.scalarCount))
        return true
    }

    /// Adam or AdamW (`decoupled`), with AMSGrad when `maxSecondMoment` is given; `correction1`
    /// and `correction2` are the bias corrections 1 - βᵗ.
    package static func adamUpdate(
        _ w: inout Tensor, gradient g: Tensor, firstMoment m: inout Tensor?, secondMoment v: inout Tensor?,
        maxSecondMoment vMax: inout Tensor?, amsgrad: Bool, learningRate: Float, beta1: Float, beta2: Float, epsilon: Float,
        weightDecay: Float, decoupled: Bool, correction1: Float, correction2: Float
    ) {
        prepare(&m, like: w)
        prepare(&v, like: w)
        if amsgrad { prepare(&vMax, like: w) }
        let pw = writable(&w), pm = writable(&m!), pv = writable(&v!)
        switch w.device {
        case .cpu:
            if amsgrad {
                FusedUpdates.adamAMSGrad(
                    weights: pw, gradients: g.storage.floats, firstMoments: pm, secondMoments: pv, maxSecondMoments: writable(&vMax!),
                    count: w.scalarCount, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                    weightDecay: weightDecay, decoupled: decoupled, correction1: correction1, correction2: correction2)
            } else {
                FusedUpdates.adam(
                    weights: pw, gradients: g.storage.floats, firstMoments: pm, secondMoments: pv, count: w.scalarCount,
                    learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay,
                    decoupled: decoupled, correction1: correction1, correction2: correction2)
            }
        }
    }

    /// SGD; `velocity` is used (and created) only when `momentum` > 0.
    package static func sgdUpdate(
        _ w: inout Tensor, gradient g: Tensor, velocity: inout Tensor?, learningRate: Float, momentum: Float, nesterov: Bool,
        weightDecay: Float
    ) {
        let first = momentum > 0 && prepare(&velocity, like: w)
        let pw = writable(&w), pb = momentum > 0 ? writable(&velocity!) : nil
        switch w.device {
        case .cpu:
            FusedUpdates.sgd(weights: pw, gradients: g.storage.floats, velocity: pb, firstStep: first, count: w.scalarCount,
                             learningRate: learningRate, momentum: momentum, nesterov: nesterov, weightDecay: weightDecay)
        }
    }

    /// RMSprop; `averages` is used when `centered`, `velocity` when `momentum` > 0.
    package static func rmspropUpdate(
        _ w: inout Tensor, gradient g: Tensor, squares: inout Tensor?, averages: inout Tensor?, velocity: inout Tensor?,
        centered: Bool, learningRate: Float, alpha: Float, epsilon: Float, weightDecay: Float, momentum: Float
    ) {
        prepare(&squares, like: w)
        if centered { prepare(&averages, like: w) }
        if momentum > 0 { prepare(&velocity, like: w) }
        let pw = writable(&w), pv = writable(&squares!)
        let pmean = centered ? writable(&averages!) : nil, pb = momentum > 0 ? writable(&velocity!) : nil
        switch w.device {
        case .cpu:
            FusedUpdates.rmsprop(weights: pw, gradients: g.storage.floats, squares: pv, averages: pmean, velocity: pb,
                                 count: w.scalarCount, learningRate: learningRate, alpha: alpha, epsilon: epsilon,
                                 weightDecay: weightDecay, momentum: momentum)
        }
    }

    /// Adagrad; the sums start at `initial` on the first step.
    package static func adagradUpdate(
        _ w: inout Tensor, gradient g: Tensor, sums: inout Tensor?, initial: Float, learningRate: Float, epsilon: Float,
        weightDecay: Float
    ) {
        let first = prepare(&sums, like: w)
        let pw = writable(&w), ps = writable(&sums!)
        switch w.device {
        case .cpu:
            FusedUpdates.adagrad(weights: pw, gradients: g.storage.floats, sums: ps, firstStep: first, initial: initial,
                                 count: w.scalarCount, learningRate: learningRate, epsilon: epsilon, weightDecay: weightDecay)
        }
    }
}
