/// An n-dimensional array with value semantics and reverse-mode automatic differentiation.
///
/// Elements are contiguous and row-major. Copies share storage until one of them is written
/// (copy-on-write). A tensor with `requiresGrad` set is a leaf of the tape: every operation on
/// it is recorded, and `backward()` on a result fills in its `grad`.
///
/// ```swift
/// var w = Tensor.normal([3, 2])
/// w.requiresGrad = true
/// let loss = (matmul(x, w) - y).squared().mean()
/// loss.backward()
/// w.grad  // Shape [3, 2]
/// ```
public struct Tensor: @unchecked Sendable {
    /// The extents of the dimensions.
    public let shape: Shape
    package var storage: TensorStorage
    /// The tape entry: set for leaves that require gradients and for results computed from them.
    package var node: GradNode?

    package init(shape: Shape, storage: TensorStorage, node: GradNode? = nil) {
        self.shape = shape
        self.storage = storage
        self.node = node
    }

    /// The element type.
    public var dtype: DType { storage.dtype }

    /// Where the elements live.
    public var device: Device { .cpu }

    /// The number of dimensions.
    public var rank: Int { shape.rank }

    /// The number of elements.
    public var scalarCount: Int { storage.count }

    // MARK: Creation from Swift values

    /// A float32 tensor holding `scalars` in row-major order.
    ///
    /// Shape: `shape`, or `[scalars.count]` when omitted.
    public init(_ scalars: [Float], shape: Shape? = nil) {
        let shape = shape ?? [scalars.count]
        require(
            shape.elementCount == scalars.count,
            "Tensor(_:shape:): \(scalars.count) scalars do not fill shape \(shape) (\(shape.elementCount) elements)")
        let s = TensorStorage(dtype: .float32, count: scalars.count)
        scalars.withUnsafeBufferPointer { s.floats.initialize(from: $0.baseAddress!, count: scalars.count) }
        self.init(shape: shape, storage: s)
    }

    /// A float32 matrix from rows of equal length.
    ///
    /// Shape: `[rows.count, rows[0].count]`.
    public init(_ rows: [[Float]]) {
        let columns = rows.first?.count ?? 0
        require(rows.allSatisfy { $0.count == columns }, "Tensor(_:): rows have different lengths")
        self.init(rows.flatMap { $0 }, shape: [rows.count, columns])
    }

    /// A rank-0 float32 tensor.
    public init(_ scalar: Float) {
        self.init([scalar], shape: [])
    }

    /// An integer tensor (labels, indices), `int64` unless `dtype` says another integer type;
    /// values outside the dtype's range wrap (as `truncatingIfNeeded`).
    ///
    /// Shape: `shape`, or `[integers.count]` when omitted.
    public init(integers: [Int], shape: Shape? = nil, dtype: DType = .int64) {
        let shape = shape ?? [integers.count]
        require(!dtype.isFloatingPoint, "Tensor(integers:): dtype must be an integer type, got \(dtype)")
        require(
            shape.elementCount == integers.count,
            "Tensor(integers:shape:): \(integers.count) integers do not fill shape \(shape)")
        let s = TensorStorage(dtype: dtype, count: integers.count)
        func fill<T: FixedWidthInteger>(_: T.Type) {
            let p = s.raw.assumingMemoryBound(to: T.self)
            for (i, v) in integers.enumerated() { p[i] = T(truncatingIfNeeded: v) }
        }
        switch dtype {
        case .int64: fill(Int64.self)
        case .int32: fill(Int32.self)
        case .int8: fill(Int8.self)
        case .uint8, .float32: fill(UInt8.self)
        }
        self.init(shape: shape, storage: s)
    }

    /// Calls `body` with the elements of an integer tensor of type `T` (`Int8` for int8,
    /// `UInt8` for uint8, ...), read-only.
    public func withUnsafeIntegers<T: FixedWidthInteger, R>(as _: T.Type, _ body: (UnsafeBufferPointer<T>) throws -> R) rethrows -> R {
        require(!dtype.isFloatingPoint && dtype.byteCount == MemoryLayout<T>.size && (T.isSigned == (dtype != .uint8)),
                "withUnsafeIntegers: a \(dtype) tensor does not hold \(T.self)")
        return try body(UnsafeBufferPointer(start: storage.raw.assumingMemoryBound(to: T.self), count: scalarCount))
    }

    // MARK: Reading elements

    /// The elements in row-major order, as `Float` whatever the dtype.
    public var scalars: [Float] {
        switch dtype {
        case .float32:
            return Array(UnsafeBufferPointer(start: storage.floats, count: scalarCount))
        case .int32:
            return UnsafeBufferPointer(start: storage.raw.assumingMemoryBound(to: Int32.self), count: scalarCount).map(Float.init)
        case .int64:
            return UnsafeBufferPointer(start: storage.raw.assumingMemoryBound(to: Int64.self), count: scalarCount).map(Float.init)
        case .int8:
            return UnsafeBufferPointer(start: storage.raw.assumingMemoryBound(to: Int8.self), count: scalarCount).map(Float.init)
        case .uint8:
            return UnsafeBufferPointer(start: storage.raw.assumingMemoryBound(to: UInt8.self), count: scalarCount).map(Float.init)
        }
    }

    /// The elements in row-major order, as `Int` (float values are truncated toward zero).
    public var integers: [Int] {
        switch dtype {
        case .float32:
            return UnsafeBufferPointer(start: storage.floats, count: scalarCount).map { Int($0) }
        case .int32:
            return UnsafeBufferPointer(start: storage.raw.assumingMemoryBound(to: Int32.self), count: scalarCount).map(Int.init)
        case .int64:
            return UnsafeBufferPointer(start: storage.raw.assumingMemoryBound(to: Int64.self), count: scalarCount).map(Int.init)
        case .int8:
            return UnsafeBufferPointer(start: storage.raw.assumingMemoryBound(to: Int8.self), count: scalarCount).map(Int.init)
        case .uint8:
            return UnsafeBufferPointer(start: storage.raw.assumingMemoryBound(to: UInt8.self), count: scalarCount).map(Int.init)
        }
    }

    /// The single element of a one-element tensor.
    public var scalar: Float {
        require(scalarCount == 1, "scalar: tensor of shape \(shape) has \(scalarCount) elements, expected 1")
        switch dtype {
        case .float32: return storage.floats[0]
        case .int32: return Float(storage.raw.assumingMemoryBound(to: Int32.self)[0])
        case .int64: return Float(storage.raw.assumingMemoryBound(to: Int64.self)[0])
        case .int8: return Float(storage.raw.assumingMemoryBound(to: Int8.self)[0])
        case .uint8: return Float(storage.raw.assumingMemoryBound(to: UInt8.self)[0])
        }
    }

    /// Calls `body` with the elements of an integer tensor of type `T` for writing, copying
    /// them first if shared.
    public mutating func withUnsafeMutableIntegers<T: FixedWidthInteger, R>(
        as _: T.Type, _ body: (UnsafeMutableBufferPointer<T>) throws -> R
    ) rethrows -> R {
        require(!dtype.isFloatingPoint && dtype.byteCount == MemoryLayout<T>.size && (T.isSigned == (dtype != .uint8)),
                "withUnsafeMutableIntegers: a \(dtype) tensor does not hold \(T.self)")
        makeStorageUnique()
        return try body(UnsafeMutableBufferPointer(start: storage.raw.assumingMemoryBound(to: T.self), count: scalarCount))
    }

    /// Calls `body` with the float32 elements, read-only.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        require(dtype == .float32, "withUnsafeBufferPointer: expected float32, got \(dtype)")
        return try body(UnsafeBufferPointer(start: storage.floats, count: scalarCount))
    }

    /// Calls `body` with the float32 elements for writing, copying them first if shared.
    /// The tape entry, if any, is kept: use under `withoutGradients` to update weights.
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        require(dtype == .float32, "withUnsafeMutableBufferPointer: expected float32, got \(dtype)")
        makeStorageUnique()
        return try body(UnsafeMutableBufferPointer(start: storage.floats, count: scalarCount))
    }

    package mutating func makeStorageUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    /// Stops with a message naming `op` unless the tensor is float32.
    @inline(__always)
    func requireFloat(_ op: StaticString) {
        require(dtype == .float32, "\(op): expected a float32 tensor, got \(dtype) (use converted(to: .float32))")
    }

    /// The same elements converted to `dtype` (floats truncate toward zero when made integers).
    /// Not differentiable.
    public func converted(to dtype: DType) -> Tensor {
        if dtype == self.dtype { return self }
        switch dtype {
        case .float32: return Tensor(scalars, shape: shape)
        case .int32, .int64, .int8, .uint8: return Tensor(integers: integers, shape: shape, dtype: dtype)
        }
    }
}

extension Tensor: CustomStringConvertible {
    /// PyTorch-style text: nested brackets, long dimensions elided, then the shape.
    public var description: String {
        let values = scalars
        let isFloat = dtype == .float32
        func format(_ v: Float) -> String {
            if !isFloat { return String(Int(v)) }
            if v == v.rounded() && abs(v) < 1e6 { return String(wholeFloat: v) }
            return String(v)
        }
        func render(_ dim: Int, _ offset: Int, _ strides: [Int]) -> String {
            if dim == shape.rank { return format(values[offset]) }
            let n = shape[dim]
            let shown: [Int] = n > 6 ? [0, 1, 2, -1, n - 3, n - 2, n - 1] : Array(0..<n)
            let parts = shown.map { i in i < 0 ? "..." : render(dim + 1, offset + i * strides[dim], strides) }
            return "[" + parts.joined(separator: ", ") + "]"
        }
        let body = render(0, 0, shape.contiguousStrides)
        let grad = node == nil ? "" : ", requiresGrad: true"
        return "Tensor(\(body), shape: \(shape), dtype: \(dtype)\(grad))"
    }
}

extension String {
    /// `1.0` rather than `1` for whole floats, as PyTorch prints them.
    fileprivate init(wholeFloat v: Float) {
        self = String(Int(v)) + ".0"
    }
}

extension Tensor {
    /// A tensor from little-endian bytes in row-major order (as stored in safetensors files).
    public init<Bytes: Collection>(rawBytes bytes: Bytes, dtype: DType, shape: Shape) where Bytes.Element == UInt8 {
        require(bytes.count == shape.elementCount * dtype.byteCount,
                     "Tensor(rawBytes:): \(bytes.count) bytes do not fill \(dtype) shape \(shape)")
        let s = TensorStorage(dtype: dtype, count: shape.elementCount)
        let raw = UnsafeMutableRawBufferPointer(start: s.raw, count: bytes.count)
        raw.copyBytes(from: bytes)
        self.init(shape: shape, storage: s)
    }

    /// Calls `body` with the elements' bytes (little-endian on every supported platform).
    public func withRawBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: storage.raw, count: scalarCount * dtype.byteCount))
    }
}

extension Tensor {
    /// A float32 tensor whose elements `body` writes, with no intermediate array (like
    /// `Array(unsafeUninitializedCapacity:initializingWith:)`); `body` must set every element.
    ///
    /// Shape: `shape`.
    public init(shape: Shape, initializingWith body: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows {
        let s = TensorStorage(dtype: .float32, count: shape.elementCount)
        try body(UnsafeMutableBufferPointer(start: s.floats, count: shape.elementCount))
        self.init(shape: shape, storage: s)
    }
}
