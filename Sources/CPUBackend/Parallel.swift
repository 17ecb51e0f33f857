import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits large loops over the machine's cores.
public enum Parallel {
    /// How many threads large loops use: `DEEPLEARN_THREADS` if set, else the number of online
    /// processors; read once.
    public static let coreCount: Int = {
        if let value = getenv("DEEPLEARN_THREADS").flatMap({ Int(String(cString: $0)) }), value > 0 { return value }
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }()

    /// Below this many elements a loop runs on the calling thread: waking workers costs more.
    public static let defaultGrain = 1 << 15

    /// Runs `body` over `0..<count`, cut into at most `coreCount` contiguous chunks of at least
    /// `grain` elements each; small counts run inline on the calling thread.
    @inlinable
    public static func forChunks(
        of count: Int, grain: Int = defaultGrain, _ body: (Range<Int>) -> Void
    ) {
        let chunks = min(coreCount, count / max(grain, 1))
        if chunks <= 1 {
            body(0..<count)
            return
        }
        withoutActuallyEscaping(body) { body in
            let job = UncheckedBox(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { i in
                let start = count * i / chunks
                let end = count * (i + 1) / chunks
                job.value(start..<end)
            }
        }
    }
}

/// Carries a value into concurrently run work whose ranges the caller keeps disjoint.
@usableFromInline
struct UncheckedBox<T>: @unchecked Sendable {
    @usableFromInline let value: T
    @usableFromInline init(_ value: T) { self.value = value }
}
