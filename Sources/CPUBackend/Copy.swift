/// Strided copies: the one kernel behind permute, slice, expand, pad and concat.
public enum Copy {
    /// Copies `shape.reduce(1, *)` elements from `source` to `destination`, each addressed by its
    /// own strides (in elements; 0 repeats an element). Works on 4- and 8-byte elements alike.
    ///
    /// Shape: `shape` is the extent of the region walked in both buffers.
    public static func strided(
        shape: [Int], elementSize: Int,
        from source: UnsafeRawPointer, strides sourceStrides: [Int],
        to destination: UnsafeMutableRawPointer, strides destinationStrides: [Int]
    ) {
        switch elementSize {
        case 4:
            walk(shape, source.assumingMemoryBound(to: UInt32.self), sourceStrides,
                 destination.assumingMemoryBound(to: UInt32.self), destinationStrides)
        case 8:
            walk(shape, source.assumingMemoryBound(to: UInt64.self), sourceStrides,
                 destination.assumingMemoryBound(to: UInt64.self), destinationStrides)
        default:
            preconditionFailure("Copy.strided: unsupported element size \(elementSize)")
        }
    }

    @inline(__always)
    static func walk<T>(
        _ shape: [Int], _ src: UnsafePointer<T>, _ ss: [Int],
        _ dst: UnsafeMutablePointer<T>, _ ds: [Int]
    ) {
        let count = shape.reduce(1, *)
        if count == 0 { return }
        // Merge dimensions that are contiguous in both buffers, drop size-1 ones.
        var dims: [Int] = [], s: [Int] = [], d: [Int] = []
        for k in 0..<shape.count where shape[k] != 1 {
            if let last = dims.last, s.last! == ss[k] * shape[k], d.last! == ds[k] * shape[k] {
                dims[dims.count - 1] = last * shape[k]
                s[s.count - 1] = ss[k]
                d[d.count - 1] = ds[k]
            } else {
                dims.append(shape[k]); s.append(ss[k]); d.append(ds[k])
            }
        }
        if dims.isEmpty { dims = [1]; s = [0]; d = [0] }
        let inner = dims.removeLast()
        let si = s.removeLast(), di = d.removeLast()
        let outer = count / inner
        Parallel.forChunks(of: outer, grain: max(1, Parallel.defaultGrain / inner)) { rows in
            var index = [Int](repeating: 0, count: dims.count)
            var rest = rows.lowerBound
            for k in stride(from: dims.count - 1, through: 0, by: -1) {
                index[k] = rest % dims[k]
                rest /= dims[k]
            }
            for _ in rows {
                var os = 0, od = 0
                for k in 0..<index.count {
                    os += index[k] * s[k]
                    od += index[k] * d[k]
                }
                let from = src + os, to = dst + od
                if si == 1 && di == 1 {
                    to.update(from: from, count: inner)
                } else {
                    for i in 0..<inner { to[i * di] = from[i * si] }
                }
                var k = index.count - 1
                while k >= 0 {
                    index[k] += 1
                    if index[k] < dims[k] { break }
                    index[k] = 0
                    k -= 1
                }
            }
        }
    }
}
