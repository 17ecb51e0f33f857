import TensorCore

/// Noise added to images for denoising: the network learns to map the corrupted image back to
/// the clean one. Every draw comes from the generator it is given, so a seed fixes it.
public enum Corruption: Sendable, Equatable {
    /// `x + σ·N(0, 1)`, clipped to `[0, 1]`.
    case gaussian(sigma: Float)
    /// Each pixel set to 0 or 1 (even odds) with probability `fraction`; the rest unchanged.
    case saltAndPepper(fraction: Float)

    /// `images` (values in `[0, 1]`) corrupted, with fresh noise from `generator`.
    public func apply(to images: Tensor, using generator: inout RandomGenerator) -> Tensor {
        switch self {
        case .gaussian(let sigma):
            return (images + Self.normal(images.shape, using: &generator) * sigma).clamped(min: 0, max: 1)
        case .saltAndPepper(let fraction):
            // A draw u < fraction / 2 is pepper (0), fraction / 2 <= u < fraction salt (1).
            let values = images.scalars.map { x -> Float in
                let u = generator.nextUnitFloat()
                return u < fraction / 2 ? 0 : u < fraction ? 1 : x
            }
            return Tensor(values, shape: images.shape)
        }
    }

    /// Standard normal noise by the Box–Muller transform on whole tensors: the uniforms come from
    /// `generator`, the logarithm, square root, cosine and sine from the elementwise kernels in
    /// single precision, split over the cores. A denoiser draws a batch's worth of noise for every
    /// step (100,352 values at batch 128), which `Tensor.normal`'s one-pair-at-a-time double
    /// precision made a twentieth of the step.
    static func normal(_ shape: Shape, using generator: inout RandomGenerator) -> Tensor {
        let count = shape.elementCount, half = (count + 1) / 2
        let u1 = 1 - Tensor.uniform([half], using: &generator)   // (0, 1]: the logarithm stays finite
        let angle = Tensor.uniform([half], using: &generator) * Float(2 * Double.pi)
        let radius = sqrt(log(u1) * -2)
        return Tensor.concat([radius * cos(angle), radius * sin(angle)]).sliced(along: 0, from: 0, to: count).reshaped(to: shape)
    }

    /// The corruption named on the command line: `gaussian:0.3`, `salt-and-pepper:0.2`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let value = Float(parts[1]), value.isFinite else {
            throw GenerativeError("corruption '\(text)': write gaussian:SIGMA or salt-and-pepper:FRACTION")
        }
        switch parts[0] {
        case "gaussian" where value > 0: self = .gaussian(sigma: value)
        case "salt-and-pepper" where value > 0 && value <= 1: self = .saltAndPepper(fraction: value)
        default: throw GenerativeError("corruption '\(text)': gaussian takes a σ > 0, salt-and-pepper a fraction in (0, 1]")
        }
    }
}

/// A generative model's input that cannot be used, stated in one line.
public struct GenerativeError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
