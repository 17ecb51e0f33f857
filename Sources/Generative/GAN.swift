import Layers
import Optimizers
import TensorCore

/// A generative adversarial network in the DCGAN manner (Radford et al. 2016): a generator of
/// transposed convolutions with batch norm and ReLU ending in tanh, a convolutional discriminator
/// with leaky ReLU and batch norm, both initialized from N(0, 0.02), two Adam optimizers at 2e-4
/// with β₁ = 0.5 stepping in turn. With `classes` > 0 it is class-conditional (Mirza and Osindero
/// 2014): the generator sees its code beside a one-hot label, the discriminator its image beside
/// ten constant label planes.
///
/// Images are learned in `[-1, 1]`; `sample` gives them back in `[0, 1]`. Samples come from an
/// exponential moving average of the generator's weights (`ema`), which is smoother than the
/// generator of the last step.
public final class GAN {
    public enum Loss: String, Sendable, CaseIterable {
        /// `D: -log D(x) - log(1 - D(G(z)))`, `G: -log D(G(z))` (Goodfellow et al.'s non-saturating form).
        case nonSaturating = "non-saturating"
        /// `D: max(0, 1 - D(x)) + max(0, 1 + D(G(z)))`, `G: -D(G(z))` (Lim and Ye 2017).
        case hinge
    }

    public struct Configuration: Sendable, Equatable {
        public var latent = 64
        /// 0 for an unconditional GAN, else the number of classes.
        public var classes = 0
        public var loss = Loss.nonSaturating
        /// Spectral normalization on every layer of the discriminator, which then has no batch norm.
        public var spectralNorm = false
        /// The generator's last hidden channels; the discriminator's first layer has as many.
        public var width = 32
        public var learningRate: Float = 2e-4, beta1: Float = 0.5, beta2: Float = 0.999
        public var emaDecay: Float = 0.999
        public var imageShape: Shape = [1, 28, 28]
        public init() {}
    }

    public let configuration: Configuration
    public let generator: Sequential, discriminator: Sequential
    /// The moving average of the generator's weights (its batch-norm statistics copied): what samples come from.
    public let ema: Sequential

    public init(_ configuration: Configuration = Configuration(), seed: UInt64) {
        let c = configuration, shape = c.imageShape
        require(shape.rank == 3 && shape[1] % 4 == 0 && shape[2] % 4 == 0, "GAN: image height and width must divide by 4, got \(shape)")
        require(c.latent >= 1 && c.classes >= 0 && c.width >= 1, "GAN: latent, width >= 1 and classes >= 0")
        self.configuration = c
        let (channels, h, w, width) = (shape[0], shape[1] / 4, shape[2] / 4, c.width)
        func makeGenerator() -> Sequential {
            Sequential {
                Linear(c.latent + c.classes, 2 * width * h * w); Reshape([2 * width, h, w]); BatchNorm(2 * width); ReLU()
                ConvTranspose2D(2 * width, width, kernelSize: (4, 4), stride: (2, 2), padding: (1, 1), bias: false)
                BatchNorm(width); ReLU()
                ConvTranspose2D(width, channels, kernelSize: (4, 4), stride: (2, 2), padding: (1, 1)); Tanh()
            }
        }
        func makeDiscriminator() -> Sequential {
            let pad = Padding.explicit(top: 1, bottom: 1, left: 1, right: 1), sn = c.spectralNorm
            func wrap(_ layer: any Layer, _ k: UInt64) -> any Layer { sn ? SpectralNormalized(layer, seed: seed &+ k) : layer }
            return Sequential {
                wrap(Conv2D(channels + c.classes, width, kernelSize: 4, stride: 2, padding: pad), 11); LeakyReLU(negativeSlope: 0.2)
                wrap(Conv2D(width, 2 * width, kernelSize: 4, stride: 2, padding: pad, bias: sn), 12)
                if !sn { BatchNorm(2 * width) }
                LeakyReLU(negativeSlope: 0.2)
                Flatten(); wrap(Linear(2 * width * h * w, 1), 13)
            }
        }
        (generator, discriminator) = Random.withSeed(seed) {
            let pair = (makeGenerator(), makeDiscriminator())
            Self.initializeDCGAN(pair.0)
            Self.initializeDCGAN(pair.1)
            return pair
        }
        ema = makeGenerator()
        Self.copy(generator, into: ema, decay: 0)
    }

    /// N(0, 0.02) weights and zero biases for every convolution and Linear, N(1, 0.02) scales
    /// and zero shifts for batch norm, as the DCGAN paper and PyTorch's DCGAN tutorial set them.
    static func initializeDCGAN(_ network: Sequential) {
        for layer in network.allLayers {
            let parts: (weight: Parameter, bias: Parameter?, mean: Float)? = switch layer {
            case let l as Linear: (l.weight, l.bias, 0)
            case let l as Conv2D: (l.weight, l.bias, 0)
            case let l as ConvTranspose2D: (l.weight, l.bias, 0)
            case let l as BatchNorm: (l.weight, l.bias, 1)
            default: nil
            }
            guard let (weight, bias, mean) = parts else { continue }
            weight.value = Tensor.normal(weight.shape, mean: mean, std: 0.02)
            bias?.value = Tensor.zeros(bias!.shape)
        }
    }

    /// `target`'s weights moved toward `source`'s, `target = decay·target + (1 - decay)·source`
    /// (a copy at decay 0); buffers (batch-norm statistics) are copied.
    static func copy(_ source: Sequential, into target: Sequential, decay: Float) {
        withoutGradients {
            for ((_, t), (_, s)) in zip(target.namedParameters, source.namedParameters) {
                t.value = decay == 0 || !t.isTrainable ? s.value.detached() : t.value * decay + s.value * (1 - decay)
            }
        }
    }

    /// The generator's input: the codes, beside the one-hot labels when conditional.
    static func generatorInput(_ z: Tensor, _ labels: Tensor?, classes: Int) -> Tensor {
        guard let labels, classes > 0 else { return z }
        return Tensor.concat([z, labels.oneHot(classCount: classes)], along: 1)
    }

    /// The discriminator's input: the images, beside one constant plane per class when conditional.
    func discriminatorInput(_ images: Tensor, _ labels: Tensor?) -> Tensor {
        guard let labels, configuration.classes > 0 else { return images }
        let d = images.shape.dimensions, k = configuration.classes
        let planes = labels.oneHot(classCount: k).reshaped(to: [d[0], k, 1, 1]).expanded(to: [d[0], k, d[2], d[3]])
        return Tensor.concat([images, planes], along: 1)
    }

    /// Trains on `images` (values in `[0, 1]`; with labels `[N]` when conditional): for each
    /// batch, one discriminator step on the real batch and on a generated one, then one generator
    /// step through the updated discriminator, then the moving average. Logs the two losses and
    /// the discriminator's accuracy (real logits above 0, fake below); a NaN loss stops training.
    @discardableResult
    public func train(
        images: Tensor, labels: Tensor? = nil, epochs: Int, batchSize: Int = 128, seed: UInt64,
        progress: (EpochLog) -> Void = { _ in }
    ) throws -> [EpochLog] {
        let c = configuration
        if c.classes > 0 {
            guard let labels, labels.shape == [images.shape[0]], labels.integers.allSatisfy({ (0..<c.classes).contains($0) }) else {
                throw GenerativeError("a conditional GAN needs one label in 0..<\(c.classes) per image")
            }
        }
        let generatorOptimizer = Adam(generator.trainableParameters, learningRate: c.learningRate, beta1: c.beta1, beta2: c.beta2)
        let discriminatorOptimizer = Adam(discriminator.trainableParameters, learningRate: c.learningRate, beta1: c.beta1, beta2: c.beta2)
        var random = RandomGenerator(seed: seed)
        let scaled = images * 2 - 1
        generator.train()
        discriminator.train()
        return try trainEpochs(images: scaled, labels: c.classes > 0 ? labels : nil, epochs: epochs, batchSize: batchSize,
                               generator: &random, progress: progress) { x, y, g in
            let n = x.shape[0]
            let z = Tensor.normal([n, c.latent], using: &g)
            let fakeLabels = c.classes > 0 ? Tensor(integers: (0..<n).map { _ in Int(g.next() % UInt64(c.classes)) }) : nil
            let fake = generator(Self.generatorInput(z, fakeLabels, classes: c.classes))

            let real = discriminator(discriminatorInput(x, y))
            let fakeForD = discriminator(discriminatorInput(fake.detached(), fakeLabels))
            let lossD = switch c.loss {
            case .nonSaturating: softplus(-real).mean() + softplus(fakeForD).mean()
            case .hinge: relu(1 - real).mean() + relu(1 + fakeForD).mean()
            }
            discriminatorOptimizer.zeroGrad()
            lossD.backward()
            discriminatorOptimizer.step()

            // The generator's step needs the gradient through the discriminator, not its weights' gradients.
            discriminator.setTrainable(false)
            let fakeForG = discriminator(discriminatorInput(fake, fakeLabels))
            let lossG = switch c.loss {
            case .nonSaturating: softplus(-fakeForG).mean()
            case .hinge: -fakeForG.mean()
            }
            generatorOptimizer.zeroGrad()
            lossG.backward()
            generatorOptimizer.step()
            discriminator.setTrainable(true)
            Self.copy(generator, into: ema, decay: c.emaDecay)

            let correct = real.scalars.filter { $0 > 0 }.count + fakeForD.scalars.filter { $0 < 0 }.count
            return ["loss_d": lossD.float, "loss_g": lossG.float, "d_accuracy": Float(correct) / Float(2 * n)]
        }
    }

    /// `count` images in `[0, 1]` from the moving-average generator in inference mode, codes drawn
    /// from `seed`; a conditional GAN needs `labels` `[count]`.
    public func sample(count: Int, labels: Tensor? = nil, seed: UInt64) -> Tensor {
        require(configuration.classes == 0 || labels?.shape == [count], "GAN.sample: a conditional GAN needs \(count) labels")
        var random = RandomGenerator(seed: seed)
        ema.eval()
        return Self.images(from: ema, codes: Tensor.normal([count, configuration.latent], using: &random),
                           labels: labels, classes: configuration.classes)
    }

    /// What `generator` makes of `codes` (and one-hot `labels` when `classes` > 0), mapped from
    /// `[-1, 1]` to `[0, 1]`, 500 at a time.
    public static func images(from generator: Sequential, codes: Tensor, labels: Tensor?, classes: Int) -> Tensor {
        inBatches(generatorInput(codes, labels, classes: classes), size: 500) { ((generator($0) + 1) * 0.5).clamped(min: 0, max: 1) }
    }
}
