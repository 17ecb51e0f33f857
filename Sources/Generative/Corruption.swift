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
            return (images + Tensor.normal(images.shape, std: sigma, using: &generator)).clamped(min: 0, max: 1)
        case .saltAndPepper(let fraction):
            // A draw u < fraction / 2 is pepper (0), fraction / 2 <= u < fraction salt (1).
            let values = images.scalars.map { x -> Float in
                let u = generator.nextUnitFloat()
                return u < fraction / 2 ? 0 : u < fraction ? 1 : x
            }
            return Tensor(values, shape: images.shape)
        }
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
