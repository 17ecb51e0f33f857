import Synchronization
import TensorCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A random image transformation applied to each training example as it is batched.
/// Images are CHW planes; pixels moved in from outside the image are 0.
public enum Augmentation: Sendable, Equatable {
    /// Mirror left-right with the given probability.
    case horizontalFlip(probability: Float = 0.5)
    /// Pad every side with `padding` zeros, then crop back to size at a random offset.
    case randomCrop(padding: Int)
    /// Shift by up to `fraction` of the height and width in each direction (Keras's
    /// `RandomTranslation`).
    case translation(fraction: Float)
    /// Rotate about the centre by an angle drawn from ±`degrees`, with bilinear interpolation.
    case rotation(degrees: Float)
    /// With the given probability, set a random rectangle covering 2-33% of the image, aspect
    /// ratio 0.3-3.3, to 0 (Zhong et al., 2017; torchvision's `RandomErasing` defaults).
    case erasing(probability: Float = 0.5)
    /// `(x - mean) / std`, per pixel; not random.
    case normalization(mean: Float, std: Float)

    /// Transforms one image in place, drawing from `rng`.
    func apply(_ image: UnsafeMutableBufferPointer<Float>, channels: Int, height: Int, width: Int,
               using rng: inout RandomGenerator) {
        let plane = height * width
        switch self {
        case .horizontalFlip(let p):
            guard rng.nextUnitFloat() < p else { return }
            for row in 0..<(channels * height) {
                let start = row * width
                for j in 0..<(width / 2) { image.swapAt(start + j, start + width - 1 - j) }
            }
        case .randomCrop(let padding):
            let dy = Int(rng.next() % UInt64(2 * padding + 1)) - padding
            let dx = Int(rng.next() % UInt64(2 * padding + 1)) - padding
            Self.shift(image, channels: channels, height: height, width: width, dy: dy, dx: dx)
        case .translation(let fraction):
            let maxY = Int((Float(height) * fraction).rounded()), maxX = Int((Float(width) * fraction).rounded())
            let dy = Int(rng.next() % UInt64(2 * maxY + 1)) - maxY
            let dx = Int(rng.next() % UInt64(2 * maxX + 1)) - maxX
            Self.shift(image, channels: channels, height: height, width: width, dy: dy, dx: dx)
        case .rotation(let degrees):
            let angle = (rng.nextUnitFloat() * 2 - 1) * degrees * Float.pi / 180
            Self.rotate(image, channels: channels, height: height, width: width, angle: angle)
        case .erasing(let p):
            guard rng.nextUnitFloat() < p else { return }
            // Up to ten tries at a rectangle that fits, as torchvision does.
            for _ in 0..<10 {
                let area = Float(plane) * (0.02 + rng.nextUnitFloat() * 0.31)
                let logRatio = logf(0.3) + rng.nextUnitFloat() * (logf(3.3) - logf(0.3))
                let ratio = expf(logRatio)
                let h = Int((area * ratio).squareRoot().rounded()), w = Int((area / ratio).squareRoot().rounded())
                guard h > 0, w > 0, h < height, w < width else { continue }
                let top = Int(rng.next() % UInt64(height - h + 1)), left = Int(rng.next() % UInt64(width - w + 1))
                for c in 0..<channels {
                    for y in top..<(top + h) {
                        for x in left..<(left + w) { image[c * plane + y * width + x] = 0 }
                    }
                }
                return
            }
        case .normalization(let mean, let std):
            for i in image.indices { image[i] = (image[i] - mean) / std }
        }
    }

    /// Moves content by (dy, dx); uncovered pixels become 0.
    static func shift(_ image: UnsafeMutableBufferPointer<Float>, channels: Int, height: Int, width: Int, dy: Int, dx: Int) {
        if dy == 0 && dx == 0 { return }
        let source = Array(image)
        for c in 0..<channels {
            for y in 0..<height {
                for x in 0..<width {
                    let sy = y - dy, sx = x - dx
                    image[(c * height + y) * width + x] =
                        sy >= 0 && sy < height && sx >= 0 && sx < width ? source[(c * height + sy) * width + sx] : 0
                }
            }
        }
    }

    /// Rotates about the image centre, sampling the source bilinearly.
    static func rotate(_ image: UnsafeMutableBufferPointer<Float>, channels: Int, height: Int, width: Int, angle: Float) {
        let source = Array(image)
        let (s, c) = (sinf(angle), cosf(angle))
        let cy = Float(height - 1) / 2, cx = Float(width - 1) / 2
        func pixel(_ ch: Int, _ y: Int, _ x: Int) -> Float {
            y >= 0 && y < height && x >= 0 && x < width ? source[(ch * height + y) * width + x] : 0
        }
        for y in 0..<height {
            for x in 0..<width {
                // Inverse mapping: where in the source does this output pixel come from?
                let ry = Float(y) - cy, rx = Float(x) - cx
                let sy = c * ry + s * rx + cy, sx = -s * ry + c * rx + cx
                let y0 = Int(floorf(sy)), x0 = Int(floorf(sx))
                let fy = sy - Float(y0), fx = sx - Float(x0)
                for ch in 0..<channels {
                    let top = pixel(ch, y0, x0) * (1 - fx) + pixel(ch, y0, x0 + 1) * fx
                    let bottom = pixel(ch, y0 + 1, x0) * (1 - fx) + pixel(ch, y0 + 1, x0 + 1) * fx
                    image[(ch * height + y) * width + x] = top * (1 - fy) + bottom * fy
                }
            }
        }
    }
}

/// A dataset whose images are transformed afresh each time they are batched, with randomness
/// from its own seeded generator: the same seed gives the same augmented batches.
///
/// Inputs may be stored flat (`[N, C·H·W]`) or as `[N, C, H, W]`; the batch keeps that shape.
public struct AugmentedDataset: Dataset {
    public let base: TensorDataset
    public let channels, height, width: Int
    public let augmentations: [Augmentation]
    private let generator: GeneratorBox

    /// The generator, shared by copies of the dataset and guarded for the prefetch thread.
    private final class GeneratorBox: Sendable {
        let mutex: Mutex<RandomGenerator>
        init(_ g: RandomGenerator) { mutex = Mutex(g) }
    }

    public init(_ base: TensorDataset, imageShape: (channels: Int, height: Int, width: Int), augmentations: [Augmentation],
                seed: UInt64 = 0) {
        require(base.inputs.scalarCount / Swift.max(base.count, 1) == imageShape.channels * imageShape.height * imageShape.width,
                     "AugmentedDataset: inputs \(base.inputs.shape) do not hold images of \(imageShape)")
        self.base = base
        (channels, height, width) = imageShape
        self.augmentations = augmentations
        generator = GeneratorBox(RandomGenerator(seed: seed))
    }

    public var count: Int { base.count }

    /// The generator's state, saved in checkpoints so a resumed run augments as the first would.
    public var randomState: RandomGenerator {
        get { generator.mutex.withLock { $0 } }
        nonmutating set { generator.mutex.withLock { $0 = newValue } }
    }

    public func batch(at indices: [Int]) -> (inputs: Tensor, targets: Tensor) {
        var (inputs, targets) = base.batch(at: indices)
        let size = channels * height * width
        generator.mutex.withLock { rng in
            inputs.withUnsafeMutableBufferPointer { all in
                for n in 0..<indices.count {
                    let image = UnsafeMutableBufferPointer(rebasing: all[(n * size)..<((n + 1) * size)])
                    for a in augmentations { a.apply(image, channels: channels, height: height, width: width, using: &rng) }
                }
            }
        }
        return (inputs, targets)
    }
}
