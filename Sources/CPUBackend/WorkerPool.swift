import CSIMD
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Threads that wait for chunked loops, spinning a little before they sleep.
///
/// `DispatchQueue.concurrentPerform` wakes sleeping threads for every loop: tens of microseconds
/// on a busy machine, which is as long as a 256x256 matrix product takes. A training step of a
/// small network runs hundreds of such loops back to back, so these workers spin for
/// `spinNanoseconds` after each loop (with the processor's pause hint) before sleeping on a
/// condition variable, as OpenMP runtimes and OpenBLAS's threads do.
///
/// One loop runs at a time: a caller that finds the pool busy (another thread's loop, or a loop
/// inside a chunk) is told so and runs its loop another way. Chunk `i` covers the same range
/// whichever thread runs it, so results do not depend on the pool.
final class WorkerPool: @unchecked Sendable {
    /// The pool of `Parallel.coreCount - 1` workers (the caller is the last one); nil on one core.
    static let shared: WorkerPool? = Parallel.coreCount > 1 ? WorkerPool(workers: Parallel.coreCount - 1) : nil

    static let spinNanoseconds: UInt64 = 200_000

    /// The loop being run: the generation in the high 32 bits, then the chunk count and the next
    /// unclaimed chunk, 16 bits each. Claiming a chunk is one compare-and-swap of the whole word,
    /// so a late worker can never claim a chunk of a later loop with an earlier loop's count.
    private let word = Atomic<UInt64>(0)
    private let remaining = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private var body: (Int) -> Void = { _ in }
    private var mutex = pthread_mutex_t(), condition = pthread_cond_t()

    private init(workers: Int) {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
        for _ in 0..<workers {
            let context = Unmanaged.passRetained(self).toOpaque()
            var thread = pthread_t()
            let started = pthread_create(&thread, nil, { context in
                Unmanaged<WorkerPool>.fromOpaque(context!).takeRetainedValue().work()
                return nil
            }, context)
            if started == 0 { pthread_detach(thread) } else { Unmanaged<WorkerPool>.fromOpaque(context).release() }
        }
    }

    /// Runs `body(0..<chunks)` across the workers and the calling thread and returns true, or
    /// returns false at once, running nothing, when the pool is busy.
    func run(chunks: Int, _ body: (Int) -> Void) -> Bool {
        guard chunks < 1 << 16, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        withoutActuallyEscaping(body) { body in
            self.body = body
            remaining.store(chunks, ordering: .relaxed)
            let generation = (word.load(ordering: .relaxed) >> 32) &+ 1
            word.store(generation << 32 | UInt64(chunks) << 16, ordering: .releasing)
            pthread_mutex_lock(&mutex)
            pthread_cond_broadcast(&condition)
            pthread_mutex_unlock(&mutex)
            claimChunks(of: generation)
            while remaining.load(ordering: .acquiring) > 0 { csimd_spin_pause() }
            self.body = { _ in }
        }
        busy.store(false, ordering: .releasing)
        return true
    }

    /// Runs unclaimed chunks of loop `generation` until none is left.
    private func claimChunks(of generation: UInt64) {
        var current = word.load(ordering: .acquiring)
        while current >> 32 == generation {
            let (count, next) = ((current >> 16) & 0xFFFF, current & 0xFFFF)
            if next >= count { return }
            let (exchanged, seen) = word.compareExchange(expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            if exchanged {
                body(Int(next))
                remaining.subtract(1, ordering: .releasing)
                current = word.load(ordering: .acquiring)
            } else {
                current = seen
            }
        }
    }

    private func work() -> Never {
        var seen: UInt64 = 0
        while true {
            var generation = word.load(ordering: .acquiring) >> 32
            if generation == seen {
                let start = Self.now()
                var spins = 0
                while generation == seen {
                    csimd_spin_pause()
                    spins += 1
                    if spins & 255 == 0 && Self.now() - start > Self.spinNanoseconds {
                        pthread_mutex_lock(&mutex)
                        while word.load(ordering: .acquiring) >> 32 == seen { pthread_cond_wait(&condition, &mutex) }
                        pthread_mutex_unlock(&mutex)
                    }
                    generation = word.load(ordering: .acquiring) >> 32
                }
            }
            seen = generation
            claimChunks(of: generation)
        }
    }

    private static func now() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }
}
