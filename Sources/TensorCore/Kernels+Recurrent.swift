import CPUBackend

extension Kernels {
    /// The output `[N, T, 2H]` and what the backward pass needs: the activated gates and
    /// `tanh(c)`, `[T, N, 5H]` (see `LSTMKernels`).
    static func lstm(_ xp: Tensor, weightHH: Tensor, h0: Tensor, c0: Tensor) -> (output: Tensor, saved: Tensor) {
        let (n, steps, h) = (xp.shape[0], xp.shape[1], weightHH.shape[1])
        let width = LSTMKernels.savedWidth(hidden: h)
        let output = xp.device.allocate(.float32, count: n * steps * 2 * h)
        let saved = xp.device.allocate(.float32, count: steps * n * width)
        switch xp.device {
        case .cpu:
            LSTMKernels.forward(
                xp: xp.storage.floats, wHH: weightHH.storage.floats, h0: h0.storage.floats, c0: c0.storage.floats,
                batch: n, steps: steps, hidden: h, output: output.floats, saved: saved.floats)
        }
        return (Tensor(shape: [n, steps, 2 * h], storage: output), Tensor(shape: [steps, n, width], storage: saved))
    }

    /// The gradients of `lstm` for `xp`, `weightHH`, `h0` and `c0` from `dy` `[N, T, 2H]`.
    static func lstmBackward(_ dy: Tensor, output: Tensor, saved: Tensor, weightHH: Tensor, h0: Tensor, c0: Tensor)
        -> (xp: Tensor, weightHH: Tensor, h0: Tensor, c0: Tensor)
    {
        let (n, steps, h) = (dy.shape[0], dy.shape[1], weightHH.shape[1])
        let dxp = dy.device.allocate(.float32, count: n * steps * 4 * h)
        let dw = dy.device.allocate(.float32, count: 4 * h * h)
        let dh0 = dy.device.allocate(.float32, count: n * h), dc0 = dy.device.allocate(.float32, count: n * h)
        switch dy.device {
        case .cpu:
            LSTMKernels.backward(
                dy: dy.storage.floats, wHH: weightHH.storage.floats, h0: h0.storage.floats, c0: c0.storage.floats,
                output: output.storage.floats, saved: saved.storage.floats, batch: n, steps: steps, hidden: h,
                dxp: dxp.floats, dwHH: dw.floats, dh0: dh0.floats, dc0: dc0.floats)
        }
        return (Tensor(shape: [n, steps, 4 * h], storage: dxp), Tensor(shape: [4 * h, h], storage: dw),
                Tensor(shape: [n, h], storage: dh0), Tensor(shape: [n, h], storage: dc0))
    }
}
