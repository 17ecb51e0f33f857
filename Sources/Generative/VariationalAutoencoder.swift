import Foundation
import Layers
import Optimizers
import TensorCore

/// A variational autoencoder (Kingma and Welling 2014) with a Gaussian encoder `q(z|x)`, a
/// standard normal prior and a Bernoulli decoder `p(x|z)` over pixels in `[0, 1]` (the grayscale
/// value is the target of a binary cross-entropy, as PyTorch's VAE example does).
///
/// Trained on the negative ELBO per image, `reconstruction + β·KL`, in nats:
/// - reconstruction `-log p(x|z)`, summed over pixels, with `z = μ + σ·ε` (the
///   reparameterization trick: the draw is a function of the encoder's outputs and noise `ε`);
/// - `KL(q(z|x) ‖ N(0, I)) = -½ Σ (1 + log σ² - μ² - σ²)`.
///
/// `importanceWeightedNLL` gives the tighter bound of Burda et al. (2016) for an honest likelihood.
public final class VariationalAutoencoder {
    /// Maps images to `[N, 2·latent]`: the means, then the log variances.
    public let encoder: Sequential
    /// Maps codes to the decoder's logits, `[N, C, H, W]`.
    public let decoder: Sequential
    public let latentSize: Int
    /// The KL term's weight: 1 is the ELBO, more than 1 a β-VAE (Higgins et al. 2017).
    public var beta: Float

    public init(encoder: Sequential, decoder: Sequential, latentSize: Int, beta: Float = 1) {
        (self.encoder, self.decoder, self.latentSize, self.beta) = (encoder, decoder, latentSize, beta)
    }

    /// One hidden layer of 400 ReLU units each way, the network of PyTorch's VAE example.
    public static func dense(latent: Int, hidden: Int = 400, imageShape: Shape = [1, 28, 28], beta: Float = 1) -> VariationalAutoencoder {
        let pixels = imageShape.dimensions.reduce(1, *)
        let encoder = Sequential { Flatten(); Linear(pixels, hidden); ReLU(); Linear(hidden, 2 * latent) }
        let decoder = Sequential { Linear(latent, hidden); ReLU(); Linear(hidden, pixels); Reshape(imageShape) }
        return VariationalAutoencoder(encoder: encoder, decoder: decoder, latentSize: latent, beta: beta)
    }

    /// Both halves as one network (`0.` the encoder, `1.` the decoder): what a checkpoint holds.
    public var network: Sequential { Sequential([encoder, decoder]) }

    /// `q(z|x)`: the means and log variances, each `[N, latent]`.
    public func posterior(_ images: Tensor) -> (mean: Tensor, logVariance: Tensor) {
        let parts = encoder(images).split(sizes: [latentSize, latentSize], along: 1)
        return (parts[0], parts[1])
    }

    /// The two terms of the negative ELBO for each image, in nats, `[N]` each, with the draw
    /// `z = μ + σ·noise` (`noise` `[N, latent]`).
    public func terms(_ images: Tensor, noise: Tensor) -> (reconstruction: Tensor, kl: Tensor) {
        let (mu, logVariance) = posterior(images)
        let z = mu + exp(logVariance * 0.5) * noise
        let logits = decoder(z)
        let pixels = Array(1..<images.rank)
        let reconstruction = binaryCrossEntropy(logits: logits, images, reduction: .none).sum(along: pixels)
        let kl = ((1 + logVariance - mu * mu - exp(logVariance)) * -0.5).sum(along: [1])
        return (reconstruction, kl)
    }

    /// Trains on `images` with Adam, minimizing the batch mean of `reconstruction + β·KL`; logs
    /// both terms (nats per image) and their sum.
    @discardableResult
    public func train(
        images: Tensor, epochs: Int, batchSize: Int = 128, learningRate: Float = 1e-3, seed: UInt64,
        progress: (EpochLog) -> Void = { _ in }
    ) throws -> [EpochLog] {
        let optimizer = Adam(encoder.trainableParameters + decoder.trainableParameters, learningRate: learningRate)
        var generator = RandomGenerator(seed: seed)
        return try trainEpochs(images: images, epochs: epochs, batchSize: batchSize, generator: &generator, progress: progress) { x, _, g in
            let (reconstruction, kl) = terms(x, noise: Tensor.normal([x.shape[0], latentSize], using: &g))
            let (r, k) = (reconstruction.mean(), kl.mean())
            let loss = r + k * beta
            optimizer.zeroGrad()
            loss.backward()
            optimizer.step()
            return ["loss": loss.float, "reconstruction": r.float, "kl": k.float]
        }
    }

    /// The test-set means of the negative ELBO (β = 1) and of its two terms, in nats per image,
    /// with one draw per image from `seed`.
    public func negativeELBO(_ images: Tensor, seed: UInt64) -> (total: Double, reconstruction: Double, kl: Double) {
        var generator = RandomGenerator(seed: seed)
        let both = inBatches(images) { x in
            let (r, k) = terms(x, noise: Tensor.normal([x.shape[0], latentSize], using: &generator))
            return Tensor.stack([r, k], along: 1)
        }
        let means = both.mean(along: [0]).scalars.map(Double.init)
        return (means[0] + means[1], means[0], means[1])
    }

    /// The importance-weighted bound on `-log p(x)` with `k` draws per image (Burda et al. 2016),
    /// averaged over `images`: `-log (1/k) Σ p(x|zᵢ) p(zᵢ) / q(zᵢ|x)`, `zᵢ ~ q(z|x)`. It is at most
    /// the negative ELBO and tightens toward the negative log-likelihood as `k` grows.
    public func importanceWeightedNLL(_ images: Tensor, samples k: Int, seed: UInt64) -> Double {
        require(k >= 1, "importanceWeightedNLL: at least one sample, got \(k)")
        var generator = RandomGenerator(seed: seed)
        let chunk = max(1, 5000 / k), pixels = images.shape.dimensions.dropFirst()
        let halfLog2π = Float(0.5 * log(2 * Double.pi)) * Float(latentSize)
        let bounds = inBatches(images, size: chunk) { x in
            let b = x.shape[0]
            let (mu, logVariance) = posterior(x)
            let noise = Tensor.normal([k, b, latentSize], using: &generator)
            let z = (mu.unsqueezed(at: 0) + exp(logVariance * 0.5).unsqueezed(at: 0) * noise).reshaped(to: [k * b, latentSize])
            let logits = decoder(z).reshaped(to: Shape([k, b] + pixels))
            let targets = x.unsqueezed(at: 0).expanded(to: Shape([k, b] + pixels))
            let logLikelihood = -binaryCrossEntropy(logits: logits, targets, reduction: .none).sum(along: Array(2..<(2 + pixels.count)))
            let zk = z.reshaped(to: [k, b, latentSize])
            let logPrior = (zk * zk * -0.5).sum(along: [2]) - halfLog2π
            let logPosterior = ((noise * noise + logVariance.unsqueezed(at: 0)) * -0.5).sum(along: [2]) - halfLog2π
            return -((logLikelihood + logPrior - logPosterior).logSumExp(along: [0]) - Float(log(Double(k))))
        }
        return bounds.scalars.reduce(0) { $0 + Double($1) } / Double(images.shape[0])
    }

    /// `count` images drawn from the model: the decoder's pixel means `σ(logits)` at `z ~ N(0, I)`.
    public func sample(count: Int, seed: UInt64) -> Tensor {
        var generator = RandomGenerator(seed: seed)
        return decode(Tensor.normal([count, latentSize], using: &generator))
    }

    /// The pixel means `σ(decoder(z))` for each code.
    public func decode(_ codes: Tensor) -> Tensor { inBatches(codes) { sigmoid(decoder($0)) } }

    /// The posterior means of `images`: their codes.
    public func encode(_ images: Tensor) -> Tensor { inBatches(images) { posterior($0).mean } }

    /// The decoded images along the straight line between the codes of `a` and `b` (each one
    /// image `[1, C, H, W]`), `steps` of them, both ends included.
    public func interpolate(_ a: Tensor, _ b: Tensor, steps: Int) -> Tensor {
        require(steps >= 2, "interpolate: at least 2 steps, got \(steps)")
        let (za, zb) = (encode(a), encode(b))
        let t = Tensor((0..<steps).map { Float($0) / Float(steps - 1) }, shape: [steps, 1])
        return decode(za * (1 - t) + zb * t)
    }
}
