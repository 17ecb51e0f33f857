/// A reference-counted, 64-byte aligned buffer (large ones recycled by `BufferPool`) of elements shared by tensors until one of them
/// writes (copy-on-write).
package final class TensorStorage: @unchecked Sendable {
    package let dtype: DType
    package let count: Int
    package let raw: UnsafeMutableRawPointer

    /// An uninitialized buffer of `count` elements.
    package init(dtype: DType, count: Int) {
        self.dtype = dtype
        self.count = count
        raw = BufferPool.allocate(byteCount: max(count, 1) * dtype.byteCount)
    }

    /// A zero-filled buffer.
    package static func zeros(dtype: DType, count: Int) -> TensorStorage {
        let s = TensorStorage(dtype: dtype, count: count)
        s.raw.initializeMemory(as: UInt8.self, repeating: 0, count: count * dtype.byteCount)
        return s
    }

    deinit { BufferPool.release(raw, byteCount: max(count, 1) * dtype.byteCount) }

    package func copy() -> TensorStorage {
        let s = TensorStorage(dtype: dtype, count: count)
        s.raw.copyMemory(from: raw, byteCount: count * dtype.byteCount)
        return s
    }

    package var floats: UnsafeMutablePointer<Float> { raw.assumingMemoryBound(to: Float.self) }
}
