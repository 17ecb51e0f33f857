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
            fatalError("Copy.strided: unsupported element size \(elementSize)")
        }
    }

    @inline(__always)
    static func walk<T>(
        _ shape: [Int], _ src: UnsafePointer<T>, _ ss: [Int],
        _ dst: UnsafeMutablePointer<T>, _ ds: [Int]
    ) {
        let count = shape.reduce(1, *)
        if count == 0 { return }
        var (dims, s, d) = StridedRows.coalesce(shape, ss, ds)
        let inner = dims.removeLast(), si = s.removeLast(), di = d.removeLast()
        Parallel.forChunks(of: count / inner, grain: max(1, Parallel.defaultGrain / inner)) { rows in
            StridedRows.forEach(rows, outer: dims, s, d) { _, os, od in
                let from = src + os, to = dst + od
                if si == 1 && di == 1 {
                    to.update(from: from, count: inner)
                } else {
                    for i in 0..<inner { to[i * di] = from[i * si] }
                }
            }
        }
    }
}
