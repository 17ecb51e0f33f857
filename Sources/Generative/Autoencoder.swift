import Layers
import Optimizers
import TensorCore

/// An encoder and a decoder trained to give back their input through a small code: dimensionality
/// reduction (`encode` is a feature extractor) and, trained on corrupted inputs, denoising.
///
/// Images are `[N, C, H, W]` with values in `[0, 1]`; the decoder ends in a sigmoid. Trained with
/// Adam on the mean squared error, as PyTorch's examples do.
///
/// ```swift
/// let ae = Autoencoder.dense(latent: 32)
/// try ae.train(images: data.trainImages.reshaped(to: [-1, 1, 28, 28]), epochs: 10, seed: 0)
/// let codes = ae.encode(testImages)          // [N, 32]
/// ```
public final class Autoencoder {
    public let encoder: Sequential, decoder: Sequential
    public let latentSize: Int

    public init(encoder: Sequential, decoder: Sequential, latentSize: Int) {
        (self.encoder, self.decoder, self.latentSize) = (encoder, decoder, latentSize)
    }

    /// Dense layers 784-512-256-latent and back (ReLU between, sigmoid at the end).
    public static func dense(latent: Int, imageShape: Shape = [1, 28, 28]) -> Autoencoder {
        let pixels = imageShape.dimensions.reduce(1, *)
        let encoder = Sequential { Flatten(); Linear(pixels, 512); ReLU(); Linear(512, 256); ReLU(); Linear(256, latent) }
        let decoder = Sequential {
            Linear(latent, 256); ReLU(); Linear(256, 512); ReLU(); Linear(512, pixels); Sigmoid(); Reshape(imageShape)
        }
        return Autoencoder(encoder: encoder, decoder: decoder, latentSize: latent)
    }

    /// Two stride-2 3x3 convolutions (32 and 64 channels) and a Linear to the code; back through
    /// a Linear and two stride-2 4x4 transposed convolutions. Height and width must divide by 4.
    public static func convolutional(latent: Int, imageShape: Shape = [1, 28, 28]) -> Autoencoder {
        let (c, h, w) = (imageShape[0], imageShape[1] / 4, imageShape[2] / 4)
        require(imageShape.rank == 3 && imageShape[1] % 4 == 0 && imageShape[2] % 4 == 0,
                "Autoencoder.convolutional: image height and width must divide by 4, got \(imageShape)")
        let encoder = Sequential {
            Conv2D(c, 32, kernelSize: 3, stride: 2, padding: .explicit(top: 1, bottom: 1, left: 1, right: 1)); ReLU()
            Conv2D(32, 64, kernelSize: 3, stride: 2, padding: .explicit(top: 1, bottom: 1, left: 1, right: 1)); ReLU()
            Flatten(); Linear(64 * h * w, latent)
        }
        let decoder = Sequential {
            Linear(latent, 64 * h * w); ReLU(); Reshape([64, h, w])
            ConvTranspose2D(64, 32, kernelSize: (4, 4), stride: (2, 2), padding: (1, 1)); ReLU()
            ConvTranspose2D(32, c, kernelSize: (4, 4), stride: (2, 2), padding: (1, 1)); Sigmoid()
        }
        return Autoencoder(encoder: encoder, decoder: decoder, latentSize: latent)
    }

    /// Both halves as one network (`0.` the encoder, `1.` the decoder): what a checkpoint holds.
    public var network: Sequential { Sequential([encoder, decoder]) }

    public func encode(_ images: Tensor) -> Tensor { inBatches(images) { encoder($0) } }
    public func decode(_ codes: Tensor) -> Tensor { inBatches(codes) { decoder($0) } }
    public func reconstruct(_ images: Tensor) -> Tensor { inBatches(images) { decoder(encoder($0)) } }

    /// Trains on `images` for `epochs` with Adam at `learningRate`: to reproduce each image, or
    /// with `corruption`, to reproduce each clean image from a corrupted copy drawn afresh for
    /// every batch. The same seed gives the same weights.
    @discardableResult
    public func train(
        images: Tensor, epochs: Int, batchSize: Int = 128, learningRate: Float = 1e-3, corruption: Corruption? = nil,
        seed: UInt64, progress: (EpochLog) -> Void = { _ in }
    ) throws -> [EpochLog] {
        let optimizer = Adam(encoder.trainableParameters + decoder.trainableParameters, learningRate: learningRate)
        var generator = RandomGenerator(seed: seed)
        network.train()
        defer { network.eval() }
        return try trainEpochs(images: images, epochs: epochs, batchSize: batchSize, generator: &generator, progress: progress) { x, _, g in
            let input = corruption?.apply(to: x, using: &g) ?? x
            let loss = meanSquaredError(decoder(encoder(input)), x)
            optimizer.zeroGrad()
            loss.backward()
            optimizer.step()
            return ["loss": loss.float]
        }
    }
}
