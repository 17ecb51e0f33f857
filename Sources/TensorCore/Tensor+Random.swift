extension Tensor {
    /// Uniform samples in `[low, high)`. Shape: `shape`.
    public static func uniform(
        _ shape: Shape, low: Float = 0, high: Float = 1, using generator: inout RandomGenerator
    ) -> Tensor {
        fill(shape) { low + (high - low) * generator.nextUnitFloat() }
    }

    /// Normal samples with the given mean and standard deviation. Shape: `shape`.
    public static func normal(
        _ shape: Shape, mean: Float = 0, std: Float = 1, using generator: inout RandomGenerator
    ) -> Tensor {
        var spare: Double?
        return fill(shape) {
            let z: Double
            if let s = spare {
                z = s
                spare = nil
            } else {
                let pair = generator.nextNormalPair()
                z = pair.0
                spare = pair.1
            }
            return mean + std * Float(z)
        }
    }

    /// Normal samples redrawn until within two standard deviations of the mean (Keras's
    /// `TruncatedNormal`). Shape: `shape`.
    public static func truncatedNormal(
        _ shape: Shape, mean: Float = 0, std: Float = 1, using generator: inout RandomGenerator
    ) -> Tensor {
        fill(shape) {
            while true {
                let (a, b) = generator.nextNormalPair()
                if Swift.abs(a) <= 2 { return mean + std * Float(a) }
                if Swift.abs(b) <= 2 { return mean + std * Float(b) }
            }
        }
    }

    /// 1 with probability `probability`, else 0. Shape: `shape`.
    public static func bernoulli(
        _ shape: Shape, probability: Float, using generator: inout RandomGenerator
    ) -> Tensor {
        require((0...1).contains(probability), "bernoulli: probability \(probability) is not in [0, 1]")
        return fill(shape) { generator.nextUnitFloat() < probability ? 1 : 0 }
    }

    /// A random ordering of `0..<n` (int64, Fisher–Yates). Shape: `[n]`.
    public static func permutation(_ n: Int, using generator: inout RandomGenerator) -> Tensor {
        var values = Array(0..<n)
        if n > 1 {
            for i in stride(from: n - 1, to: 0, by: -1) {
                values.swapAt(i, Int(generator.next() % UInt64(i + 1)))
            }
        }
        return Tensor(integers: values)
    }

    // The same, drawing from the process-wide generator (see `Random.seed`).

    public static func uniform(_ shape: Shape, low: Float = 0, high: Float = 1) -> Tensor {
        Random.withGenerator { uniform(shape, low: low, high: high, using: &$0) }
    }
    public static func normal(_ shape: Shape, mean: Float = 0, std: Float = 1) -> Tensor {
        Random.withGenerator { normal(shape, mean: mean, std: std, using: &$0) }
    }
    public static func truncatedNormal(_ shape: Shape, mean: Float = 0, std: Float = 1) -> Tensor {
        Random.withGenerator { truncatedNormal(shape, mean: mean, std: std, using: &$0) }
    }
    public static func bernoulli(_ shape: Shape, probability: Float) -> Tensor {
        Random.withGenerator { bernoulli(shape, probability: probability, using: &$0) }
    }
    public static func permutation(_ n: Int) -> Tensor {
        Random.withGenerator { permutation(n, using: &$0) }
    }

    private static func fill(_ shape: Shape, _ next: () -> Float) -> Tensor {
        let s = TensorStorage(dtype: .float32, count: shape.elementCount)
        for i in 0..<shape.elementCount { s.floats[i] = next() }
        return Tensor(shape: shape, storage: s)
    }
}
