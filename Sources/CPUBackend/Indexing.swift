/// Gather and scatter along the middle axis of buffers viewed as `[outer, length, inner]`.
/// Indices are `Int`, already checked against `length` by the caller.
public enum Indexing {
    /// `output[o, k, i] = input[o, index[o, k, i], i]` (PyTorch's `gather`).
    ///
    /// Shape: input `[outer, length, inner]`, index and output `[outer, count, inner]`.
    public static func gather(
        _ input: UnsafePointer<Float>, outer: Int, length: Int, inner: Int,
        index: UnsafePointer<Int>, count: Int, _ output: UnsafeMutablePointer<Float>
    ) {
        for o in 0..<outer {
            for k in 0..<count {
                let row = (o * count + k) * inner
                for i in 0..<inner {
                    output[row + i] = input[(o * length + index[row + i]) * inner + i]
                }
            }
        }
    }

    /// `output[o, index[o, k, i], i] += source[o, k, i]` (PyTorch's `scatter_add_`).
    ///
    /// Shape: output `[outer, length, inner]`, index and source `[outer, count, inner]`.
    public static func scatterAdd(
        _ source: UnsafePointer<Float>, index: UnsafePointer<Int>, outer: Int, count: Int,
        inner: Int, into output: UnsafeMutablePointer<Float>, length: Int
    ) {
        for o in 0..<outer {
            for k in 0..<count {
                let row = (o * count + k) * inner
                for i in 0..<inner {
                    output[(o * length + index[row + i]) * inner + i] += source[row + i]
                }
            }
        }
    }

    /// `output[o, k, :] = input[o, index[k], :]` (PyTorch's `index_select`), for 4- or 8-byte
    /// elements.
    ///
    /// Shape: input `[outer, length, inner]`, index `[count]`, output `[outer, count, inner]`.
    public static func indexSelect(
        _ input: UnsafeRawPointer, elementSize: Int, outer: Int, length: Int, inner: Int,
        index: UnsafePointer<Int>, count: Int, _ output: UnsafeMutableRawPointer
    ) {
        let rowBytes = inner * elementSize
        Parallel.forChunks(of: outer * count, grain: max(1, 8192 / max(1, inner))) { rows in
            for r in rows {
                let o = r / count, k = r % count
                (output + r * rowBytes).copyMemory(
                    from: input + (o * length + index[k]) * rowBytes, byteCount: rowBytes)
            }
        }
    }

    /// `output[o, index[k], :] += source[o, k, :]` (PyTorch's `index_add_`).
    ///
    /// Shape: source `[outer, count, inner]`, index `[count]`, output `[outer, length, inner]`.
    public static func indexAdd(
        _ source: UnsafePointer<Float>, index: UnsafePointer<Int>, outer: Int, count: Int,
        inner: Int, into output: UnsafeMutablePointer<Float>, length: Int
    ) {
        for o in 0..<outer {
            for k in 0..<count {
                let from = source + (o * count + k) * inner
                let to = output + (o * length + index[k]) * inner
                for i in 0..<inner { to[i] += from[i] }
            }
        }
    }
}
