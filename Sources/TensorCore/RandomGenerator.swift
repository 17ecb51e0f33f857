import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A seedable pseudo-random generator (xoshiro256**, seeded through SplitMix64): the same seed
/// gives the same numbers on every run and every machine.
///
/// ```swift
/// var rng = RandomGenerator(seed: 42)
/// let w = Tensor.normal([784, 256], std: 0.05, using: &rng)
/// ```
public struct RandomGenerator: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64

    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    /// The state as four hexadecimal words, `a-b-c-d`: saved in checkpoints to resume a run.
    public var stateDescription: String { [s0, s1, s2, s3].map { String($0, radix: 16) }.joined(separator: "-") }

    /// The generator whose `stateDescription` is `text`; nil unless it is four hexadecimal words,
    /// not all zero (the one state xoshiro cannot leave).
    public init?(stateDescription text: String) {
        let words = text.split(separator: "-", omittingEmptySubsequences: false).map { UInt64($0, radix: 16) }
        guard words.count == 4, text.count <= 67, let a = words[0], let b = words[1], let c = words[2], let d = words[3],
              a | b | c | d != 0
        else { return nil }
        (s0, s1, s2, s3) = (a, b, c, d)
    }

    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// Uniform in `[0, 1)` with 24 random bits.
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// Two independent standard normal samples (Box–Muller, in double precision).
    public mutating func nextNormalPair() -> (Double, Double) {
        let u1 = Double((next() >> 11) + 1) * 0x1p-53   // (0, 1]: log stays finite
        let u2 = Double(next() >> 11) * 0x1p-53
        let r = (-2 * Foundation_log(u1)).squareRoot()
        let theta = 2 * Double.pi * u2
        return (r * Foundation_cos(theta), r * Foundation_sin(theta))
    }
}

@inline(__always) private func Foundation_log(_ x: Double) -> Double { log(x) }
@inline(__always) private func Foundation_cos(_ x: Double) -> Double { cos(x) }
@inline(__always) private func Foundation_sin(_ x: Double) -> Double { sin(x) }

/// The process-wide generator used when no generator is passed, like `torch.manual_seed`,
/// and a thread-scoped override of it.
public enum Random {
    private static let global = Mutex(RandomGenerator(seed: 0x5EED))

    /// Holds a scoped generator for the thread that set it.
    private final class Scoped {
        var generator: RandomGenerator
        init(_ generator: RandomGenerator) { self.generator = generator }
    }

    private static let scopedKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Reseeds the process-wide generator.
    public static func seed(_ seed: UInt64) {
        global.withLock { $0 = RandomGenerator(seed: seed) }
    }

    /// Runs `body` with draws on this thread that would use the process-wide generator (weight
    /// initialization, dropout) taken from a fresh generator seeded with `seed` instead: the
    /// same result whatever other threads draw meanwhile. Scopes nest.
    ///
    /// ```swift
    /// let model = Random.withSeed(1) { Sequential { Linear(4, 8); ReLU(); Linear(8, 2) } }
    /// ```
    public static func withSeed<R>(_ seed: UInt64, _ body: () throws -> R) rethrows -> R {
        let scoped = Scoped(RandomGenerator(seed: seed))
        let previous = pthread_getspecific(scopedKey)
        pthread_setspecific(scopedKey, Unmanaged.passUnretained(scoped).toOpaque())
        defer { pthread_setspecific(scopedKey, previous) }
        return try withExtendedLifetime(scoped) { try body() }
    }

    /// A copy of the generator in force (this thread's scoped one, or the process-wide one), as
    /// `torch.get_rng_state` gives it; `restore` puts it back.
    public static var current: RandomGenerator { withGenerator { $0 } }

    /// Makes `generator` the one in force: this thread's scoped one, or the process-wide one.
    public static func restore(_ generator: RandomGenerator) { withGenerator { $0 = generator } }

    /// Runs `body` with exclusive use of the generator in force: this thread's scoped one
    /// (`withSeed`) or else the process-wide one.
    public static func withGenerator<R>(_ body: (inout RandomGenerator) -> R) -> R {
        if let p = pthread_getspecific(scopedKey) {
            return body(&Unmanaged<Scoped>.fromOpaque(p).takeUnretainedValue().generator)
        }
        return global.withLock { body(&$0) }
    }
}
