import TensorCore

/// How a weight is first filled. `fanIn` and `fanOut` follow PyTorch: for a weight of shape
/// `[out, in, k...]`, fan-in is `in * k...` and fan-out `out * k...`.
public enum Initializer: Sendable {
    /// Glorot/Xavier uniform: U(-a, a), a = gain·√(6 / (fanIn + fanOut)). Keras's Dense default.
    case glorotUniform(gain: Float = 1)
    /// Glorot/Xavier normal: N(0, gain²·2 / (fanIn + fanOut)).
    case glorotNormal(gain: Float = 1)
    /// He/Kaiming uniform for ReLU networks: U(-a, a), a = √(6 / fanIn).
    case heUniform
    /// He/Kaiming normal: N(0, 2 / fanIn).
    case heNormal
    /// LeCun uniform: U(-a, a), a = √(3 / fanIn).
    case lecunUniform
    /// LeCun normal: N(0, 1 / fanIn).
    case lecunNormal
    /// A (semi-)orthogonal matrix from the QR decomposition of a normal one, times `gain`.
    case orthogonal(gain: Float = 1)
    /// U(-1/√fanIn, 1/√fanIn): PyTorch's default for `Linear` and conv weights and biases.
    case fanInUniform
    case uniform(low: Float, high: Float)
    case normal(mean: Float = 0, std: Float)
    case constant(Float)
    case zeros
    case ones

    /// Fan-in and fan-out of a weight shape, as PyTorch computes them.
    public static func fans(_ shape: Shape) -> (fanIn: Int, fanOut: Int) {
        if shape.rank < 2 { return (shape.first ?? 1, shape.first ?? 1) }
        let receptive = shape.dropFirst(2).reduce(1, *)
        return (shape[1] * receptive, shape[0] * receptive)
    }

    /// A tensor of `shape` drawn from `generator`. `fanIn` overrides the one read from the
    /// shape (biases use their layer's fan-in).
    public func make(_ shape: Shape, fanIn: Int? = nil, using generator: inout RandomGenerator) -> Tensor {
        let fans = Self.fans(shape)
        let fanIn = Float(fanIn ?? fans.fanIn), fanOut = Float(fans.fanOut)
        switch self {
        case .glorotUniform(let gain):
            let a = gain * (6 / (fanIn + fanOut)).squareRoot()
            return .uniform(shape, low: -a, high: a, using: &generator)
        case .glorotNormal(let gain):
            return .normal(shape, std: gain * (2 / (fanIn + fanOut)).squareRoot(), using: &generator)
        case .heUniform:
            let a = (6 / fanIn).squareRoot()
            return .uniform(shape, low: -a, high: a, using: &generator)
        case .heNormal:
            return .normal(shape, std: (2 / fanIn).squareRoot(), using: &generator)
        case .lecunUniform:
            let a = (3 / fanIn).squareRoot()
            return .uniform(shape, low: -a, high: a, using: &generator)
        case .lecunNormal:
            return .normal(shape, std: (1 / fanIn).squareRoot(), using: &generator)
        case .orthogonal(let gain):
            return Self.orthogonal(shape, gain: gain, using: &generator)
        case .fanInUniform:
            let a = 1 / fanIn.squareRoot()
            return .uniform(shape, low: -a, high: a, using: &generator)
        case .uniform(let low, let high):
            return .uniform(shape, low: low, high: high, using: &generator)
        case .normal(let mean, let std):
            return .normal(shape, mean: mean, std: std, using: &generator)
        case .constant(let v):
            return .full(shape, value: v)
        case .zeros:
            return .zeros(shape)
        case .ones:
            return .ones(shape)
        }
    }

    /// The same, drawing from the process-wide generator (see `Random.seed`).
    public func make(_ shape: Shape, fanIn: Int? = nil) -> Tensor {
        Random.withGenerator { make(shape, fanIn: fanIn, using: &$0) }
    }

    /// Rows (or columns, whichever are fewer) orthonormal: Gram–Schmidt on a normal matrix, in
    /// double precision, which gives the same distribution as QR with sign correction.
    private static func orthogonal(_ shape: Shape, gain: Float, using generator: inout RandomGenerator) -> Tensor {
        let rows = shape.first ?? 1
        let cols = shape.elementCount / Swift.max(rows, 1)
        // Orthonormalize the shorter side's vectors, each of the longer side's length.
        let (count, length) = rows <= cols ? (rows, cols) : (cols, rows)
        let normal = Tensor.normal([count * length], using: &generator).scalars.map(Double.init)
        var vectors: [[Double]] = []
        for i in 0..<count {
            var v = Array(normal[(i * length)..<((i + 1) * length)])
            for u in vectors {
                let dot = zip(u, v).reduce(0) { $0 + $1.0 * $1.1 }
                for j in 0..<length { v[j] -= dot * u[j] }
            }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            vectors.append(v.map { $0 / norm })
        }
        var values = [Float](repeating: 0, count: rows * cols)
        for r in 0..<rows {
            for c in 0..<cols {
                let v = rows <= cols ? vectors[r][c] : vectors[c][r]
                values[r * cols + c] = gain * Float(v)
            }
        }
        return Tensor(values, shape: shape)
    }
}
