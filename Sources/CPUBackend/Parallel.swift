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
        forEachChunk(of: count, grain: grain) { _, range in body(range) }
    }

    /// How many chunks `forEachChunk(of:grain:)` cuts `count` into.
    @inlinable
    public static func chunkCount(of count: Int, grain: Int = defaultGrain) -> Int {
        max(1, min(coreCount, count / max(grain, 1)))
    }

    /// Like `forChunks`, but also hands each chunk its index in `0..<chunkCount(of:grain:)`, for
    /// work that keeps per-chunk scratch or partial results.
    @inlinable
    public static func forEachChunk(
        of count: Int, grain: Int = defaultGrain, _ body: (_ index: Int, _ range: Range<Int>) -> Void
    ) {
        let chunks = chunkCount(of: count, grain: grain)
        if chunks == 1 {
            body(0, 0..<count)
            return
        }
        withoutActuallyEscaping(body) { body in
            let job = UncheckedBox(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { i in
                job.value(i, (count * i / chunks)..<(count * (i + 1) / chunks))
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
