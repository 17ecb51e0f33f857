/// An LSTM layer's whole recurrence as one primitive, with a closed-form backward pass through
/// time (the cell written out of smaller ops gives the same values at several times the cost).
///
/// From the projected input `xp = x Wᵢₕᵀ + bᵢₕ + bₕₕ` (gate order i, f, g, o, as in PyTorch),
/// each step computes `z = xpₜ + hₜ₋₁ Wₕₕᵀ`, `cₜ = σ(f) cₜ₋₁ + σ(i) tanh(g)`,
/// `hₜ = σ(o) tanh(cₜ)`.
///
/// Shape: `xp` `[N, T, 4H]`, `weightHH` `[4H, H]`, `h0` and `c0` `[N, H]` -> `[N, T, 2H]`:
/// every step's `h` (features `0..<H`) then its `c` (`H..<2H`).
public func lstmRecurrence(_ xp: Tensor, weightHH: Tensor, h0: Tensor, c0: Tensor) -> Tensor {
    for t in [xp, weightHH, h0, c0] { t.requireFloat("lstmRecurrence") }
    let h = weightHH.rank == 2 ? weightHH.shape[1] : 0
    require(weightHH.rank == 2 && h > 0 && weightHH.shape[0] == 4 * h,
                 "lstmRecurrence: weightHH must be [4H, H], got \(weightHH.shape)")
    require(xp.rank == 3 && xp.shape[2] == 4 * h && xp.shape[1] > 0,
                 "lstmRecurrence: xp must be [N, T, \(4 * h)] for weightHH \(weightHH.shape), got \(xp.shape)")
    require(h0.shape == [xp.shape[0], h] && c0.shape == [xp.shape[0], h],
                 "lstmRecurrence: h0 and c0 must be [\(xp.shape[0]), \(h)], got \(h0.shape) and \(c0.shape)")
    var (y, saved) = Kernels.lstm(xp, weightHH: weightHH, h0: h0, c0: c0)
    y.record(.lstm(xp, weightHH: weightHH, h0: h0, c0: c0, saved: saved),
             if: xp.node != nil || weightHH.node != nil || h0.node != nil || c0.node != nil)
    return y
}
