#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether operations on this thread record themselves on the tape (thread-local, like PyTorch).
enum GradMode {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// The default, no value stored, means recording is on.
    static var isEnabled: Bool {
        @inline(__always) get { pthread_getspecific(key) == nil }
    }

    static func setEnabled(_ enabled: Bool) {
        pthread_setspecific(key, enabled ? nil : UnsafeRawPointer(bitPattern: 1))
    }
}

/// Whether operations on this thread are being recorded for `backward()`.
public var isRecordingGradients: Bool { GradMode.isEnabled }

/// Runs `body` without recording operations: for inference and for updating weights.
///
/// ```swift
/// let probabilities = withoutGradients { softmax(model(x)) }
/// ```
public func withoutGradients<Result>(_ body: () throws -> Result) rethrows -> Result {
    let previous = GradMode.isEnabled
    GradMode.setEnabled(false)
    defer { GradMode.setEnabled(previous) }
    return try body()
}

/// Runs `body` with recording on, even inside `withoutGradients`.
func withGradients<Result>(_ body: () throws -> Result) rethrows -> Result {
    let previous = GradMode.isEnabled
    GradMode.setEnabled(true)
    defer { GradMode.setEnabled(previous) }
    return try body()
}
