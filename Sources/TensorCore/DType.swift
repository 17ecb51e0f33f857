/// The element type of a tensor, chosen at run time.
///
/// Arithmetic runs in `float32`; `int32` and `int64` hold labels and indices; `int8` and `uint8`
/// hold quantized weights and activations and packed masks (the int8 kernels read them).
public enum DType: String, Sendable, Hashable, CustomStringConvertible {
    case float32, int32, int64, int8, uint8

    /// Bytes per element.
    public var byteCount: Int {
        switch self {
        case .float32, .int32: return 4
        case .int64: return 8
        case .int8, .uint8: return 1
        }
    }

    /// The values an integer dtype holds (nil for float32).
    public var integerRange: ClosedRange<Int>? {
        switch self {
        case .float32: return nil
        case .int32: return Int(Int32.min)...Int(Int32.max)
        case .int64: return Int(Int64.min)...Int(Int64.max)
        case .int8: return -128...127
        case .uint8: return 0...255
        }
    }

    public var isFloatingPoint: Bool { self == .float32 }

    public var description: String { rawValue }
}

/// Where a tensor's elements live. Kernels for each device sit behind `Kernels`, and each device
/// allocates the storage its kernels write (a second backend adds a case here, its storage in
/// `allocate`, and its branch in each kernel's `switch`).
public enum Device: Sendable, Hashable, CustomStringConvertible {
    case cpu

    public var description: String { "cpu" }

    /// Uninitialized storage for `count` elements of `dtype` on this device.
    package func allocate(_ dtype: DType, count: Int) -> TensorStorage {
        switch self {
        case .cpu: return TensorStorage(dtype: dtype, count: count)
        }
    }

    /// Zero-filled storage for `count` elements of `dtype` on this device.
    package func zeros(_ dtype: DType, count: Int) -> TensorStorage {
        switch self {
        case .cpu: return TensorStorage.zeros(dtype: dtype, count: count)
        }
    }
}
