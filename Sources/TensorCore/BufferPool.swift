import Synchronization

/// Recycles large tensor buffers. A fresh multi-megabyte allocation is mapped anew by the OS and
/// page-faults on first touch (about 1,500 faults for a 1024 x 1024 float matrix), which costs
/// more than a fast kernel takes; training loops free and reallocate the same sizes every step.
/// Small buffers are left to malloc, which already reuses them.
enum BufferPool {
    /// Buffers smaller than this are not pooled.
    static let minimumBytes = 1 << 18
    /// At most this many bytes sit idle in the pool; beyond it buffers are freed.
    static let capacityBytes = 1 << 28

    private struct State: @unchecked Sendable {
        var free: [Int: [UnsafeMutableRawPointer]] = [:]
        var idleBytes = 0
    }

    private static let state = Mutex(State())

    /// Sizes are rounded up to whole pages so that nearby requests share buffers.
    @inline(__always)
    static func roundedSize(_ byteCount: Int) -> Int {
        byteCount < minimumBytes ? byteCount : (byteCount + 4095) & ~4095
    }

    static func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        let size = roundedSize(byteCount)
        if size >= minimumBytes {
            let reused = state.withLock { s -> UnsafeMutableRawPointer? in
                guard let p = s.free[size]?.popLast() else { return nil }
                s.idleBytes -= size
                return p
            }
            if let reused { return reused }
        }
        return UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
    }

    static func release(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        let size = roundedSize(byteCount)
        if size >= minimumBytes {
            let kept = state.withLock { s -> Bool in
                guard s.idleBytes + size <= capacityBytes else { return false }
                s.free[size, default: []].append(pointer)
                s.idleBytes += size
                return true
            }
            if kept { return }
        }
        pointer.deallocate()
    }
}
