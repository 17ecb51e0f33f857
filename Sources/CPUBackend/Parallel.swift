import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits large loops over the machine's cores.
public enum Parallel {
    /// How many threads large loops use: `DEEPLEARN_THREADS` if set (a whole number in 1...1024),
    /// else the number of online processors; read once. A value that cannot be used is named in a
    /// one-line warning on stderr, with what is used instead.
    public static let coreCount: Int = {
        let online = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        guard let raw = getenv("DEEPLEARN_THREADS").map({ String(cString: $0) }), !raw.isEmpty else { return online }
        if let value = Int(raw), (1...1024).contains(value) { return value }
        warn("DEEPLEARN_THREADS=\(raw.debugDescription) is not a whole number in 1...1024; using \(online) threads (the online processors)")
        return online
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
        concurrently(chunks) { i in body(i, (count * i / chunks)..<(count * (i + 1) / chunks)) }
    }

    /// Runs `chunk(0..<chunks)` on the worker pool, or through Dispatch when the pool is busy.
    @usableFromInline
    static func concurrently(_ chunks: Int, _ chunk: (Int) -> Void) {
        if WorkerPool.shared?.run(chunks: chunks, chunk) == true { return }
        withoutActuallyEscaping(chunk) { chunk in
            let job = UncheckedBox(chunk)
            DispatchQueue.concurrentPerform(iterations: chunks) { job.value($0) }
        }
    }
}

/// Carries a value into concurrently run work whose ranges the caller keeps disjoint.
@usableFromInline
struct UncheckedBox<T>: @unchecked Sendable {
    @usableFromInline let value: T
    @usableFromInline init(_ value: T) { self.value = value }
}

/// Writes `deeplearn: warning: <message>` as one line on stderr (for settings that cannot be used).
package func warn(_ message: String) {
    let line = Array("deeplearn: warning: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}
