import Datasets
import Foundation
import Interop
import Layers
import TensorCore
import Training

/// What `deeplearn generate train` runs: one generative model trained on Fashion-MNIST, scored on
/// the test images, and saved.
public enum GenerativeRun {
    public enum Kind: String, Sendable, CaseIterable {
        case ae, dae, vae, gan, cgan

        /// Epochs and code size when the caller gives none.
        public var defaultEpochs: Int { self == .gan || self == .cgan ? 5 : 10 }
        public var defaultLatent: Int { switch self { case .ae: 32; case .dae: 64; case .vae: 20; case .gan, .cgan: 64 } }
        /// `dense` or `conv`: the autoencoder is dense, the denoiser convolutional.
        public var defaultArchitecture: String { self == .dae ? "conv" : "dense" }
    }

    public struct Options: Sendable {
        public var kind: Kind
        public var epochs: Int?, latent: Int?
        public var batchSize = 128
        public var seed: UInt64 = 0
        /// `dense` or `conv`, for ae and dae.
        public var architecture: String?
        public var corruption = Corruption.gaussian(sigma: 0.3)
        public var beta: Float = 1
        public var loss = GAN.Loss.nonSaturating
        public var spectralNorm = false
        /// Importance samples per test image for the VAE's bound.
        public var importanceSamples = 100
        /// Where the scoring classifier is read from (trained and saved there if missing): gan and cgan.
        public var classifier: String?
        /// Only the first `limit` training images (quick runs).
        public var limit: Int?
        public init(kind: Kind) { self.kind = kind }
    }

    /// A finished run: its epochs and its scores on the test images (`test_mse`, `psnr_denoised`,
    /// `test_neg_elbo_nats`, `fid`, ...).
    public struct Report {
        public let logs: [EpochLog]
        public let scores: [String: Double]
        /// gan and cgan: how many samples the classifier puts in each class.
        public var classCounts: [Int]?
        /// The network to save (both halves of an autoencoder, a GAN's moving-average generator) and its metadata.
        public let network: Sequential
        public let metadata: [String: String]
    }

    /// Trains `options.kind` on `data`'s training images, scores it on the test images.
    public static func train(_ options: Options, data: FashionMNIST, progress: (String) -> Void = { _ in }) throws -> Report {
        let kind = options.kind, epochs = options.epochs ?? kind.defaultEpochs, latent = options.latent ?? kind.defaultLatent
        guard (1...100_000).contains(epochs), (1...4096).contains(latent), (1...65536).contains(options.batchSize) else {
            throw GenerativeError("epochs (1-100000), latent (1-4096) and batch size (1-65536) out of range: \(epochs), \(latent), \(options.batchSize)")
        }
        let architecture = options.architecture ?? kind.defaultArchitecture
        guard ["dense", "conv"].contains(architecture), architecture == "dense" || kind == .ae || kind == .dae else {
            throw GenerativeError("--architecture \(architecture): ae and dae are dense or conv, the vae is dense, GANs are convolutional")
        }
        let n = min(options.limit ?? .max, data.trainImages.shape[0])
        guard n >= 1 else { throw GenerativeError("--limit must be at least 1") }
        let train = data.trainImages.sliced(along: 0, from: 0, to: n).reshaped(to: [n, 1, 28, 28])
        let test = data.testImages.reshaped(to: [-1, 1, 28, 28])
        let log = { (e: EpochLog) in progress(e.line) }
        var metadata = ["generative_model": kind.rawValue, "latent": "\(latent)", "epochs": "\(epochs)", "seed": "\(options.seed)"]
        switch kind {
        case .ae, .dae:
            let ae = Random.withSeed(options.seed) {
                architecture == "conv" ? Autoencoder.convolutional(latent: latent) : Autoencoder.dense(latent: latent)
            }
            metadata["architecture_kind"] = architecture
            let corruption = kind == .dae ? options.corruption : nil
            let logs = try ae.train(images: train, epochs: epochs, batchSize: options.batchSize, corruption: corruption,
                                    seed: options.seed &+ 1, progress: log)
            var scores: [String: Double]
            if let corruption {
                var generator = RandomGenerator(seed: options.seed &+ 2)
                let noisy = corruption.apply(to: test, using: &generator)
                let denoised = ae.reconstruct(noisy)
                scores = reconstructionScores(noisy: noisy, denoised: denoised, clean: test)
                metadata["corruption"] = "\(corruption)"
            } else {
                scores = reconstructionScores(ae.reconstruct(test), test)
            }
            return Report(logs: logs, scores: scores, network: ae.network, metadata: metadata)
        case .vae:
            let vae = Random.withSeed(options.seed) { VariationalAutoencoder.dense(latent: latent, beta: options.beta) }
            metadata["beta"] = "\(options.beta)"
            let logs = try vae.train(images: train, epochs: epochs, batchSize: options.batchSize, seed: options.seed &+ 1, progress: log)
            let elbo = vae.negativeELBO(test, seed: options.seed &+ 2)
            var scores = ["test_neg_elbo_nats": elbo.total, "test_reconstruction_nats": elbo.reconstruction, "test_kl_nats": elbo.kl]
            scores["test_nll_iw_nats"] = vae.importanceWeightedNLL(test, samples: options.importanceSamples, seed: options.seed &+ 3)
            scores["importance_samples"] = Double(options.importanceSamples)
            return Report(logs: logs, scores: scores, network: vae.network, metadata: metadata)
        case .gan, .cgan:
            let classifier = try ScoringClassifier.loadOrTrain(options.classifier ?? defaultClassifierPath, data: data, progress: progress)
            var configuration = GAN.Configuration()
            configuration.latent = latent
            configuration.classes = kind == .cgan ? FashionMNIST.classCount : 0
            configuration.loss = options.loss
            configuration.spectralNorm = options.spectralNorm
            let gan = GAN(configuration, seed: options.seed)
            let labels = data.trainLabels.sliced(along: 0, from: 0, to: n)
            let logs = try gan.train(images: train, labels: labels, epochs: epochs, batchSize: options.batchSize,
                                     seed: options.seed &+ 1, progress: log)
            let count = test.shape[0]
            let asked = kind == .cgan ? (0..<count).map { $0 * FashionMNIST.classCount / count } : nil
            let samples = gan.sample(count: count, labels: asked.map { Tensor(integers: $0) }, seed: options.seed &+ 2)
            let scored = SampleScores(samples: samples, labels: asked, real: test, classifier: classifier)
            metadata["classes"] = "\(configuration.classes)"
            metadata["loss"] = options.loss.rawValue
            metadata["spectral_norm"] = "\(options.spectralNorm)"
            var report = Report(logs: logs, scores: sampleScores(scored), network: gan.ema, metadata: metadata)
            report.classCounts = scored.classCounts
            return report
        }
    }

    /// The scoring classifier's default place: the system's temporary directory.
    public static var defaultClassifierPath: String {
        FileManager.default.temporaryDirectory.appendingPathComponent("deeplearn-scoring-cnn-bn.safetensors").path
    }

    /// `test_mse`, `psnr` and `ssim` (means over images) of reconstructions.
    public static func reconstructionScores(_ reconstructed: Tensor, _ clean: Tensor) -> [String: Double] {
        let error = reconstructed - clean
        return ["test_mse": Double((error * error).mean().float),
                "psnr": ImageScores.mean(ImageScores.psnr(reconstructed, clean)),
                "ssim": ImageScores.mean(ImageScores.ssim(reconstructed, clean))]
    }

    /// The scores of a denoiser: PSNR and SSIM of the noisy and of the denoised images, and the denoised MSE.
    public static func reconstructionScores(noisy: Tensor, denoised: Tensor, clean: Tensor) -> [String: Double] {
        let scores = reconstructionScores(denoised, clean)
        return ["test_mse": scores["test_mse"]!, "psnr_denoised": scores["psnr"]!, "ssim_denoised": scores["ssim"]!,
                "psnr_noisy": ImageScores.mean(ImageScores.psnr(noisy, clean)),
                "ssim_noisy": ImageScores.mean(ImageScores.ssim(noisy, clean))]
    }

    public static func sampleScores(_ s: SampleScores) -> [String: Double] {
        var scores = ["fid": s.fid, "class_coverage": s.classCoverage, "precision": s.precision, "recall": s.recall]
        scores["class_accuracy"] = s.classAccuracy
        return scores
    }

    /// Scores the images in a safetensors file written elsewhere (a PyTorch peer) against `data`'s
    /// test images, by the tensors it holds: `reconstructions` (an autoencoder's), `noisy` and
    /// `denoised` (a denoiser's), `samples` with optional `labels` (a GAN's; the classifier is needed).
    public static func score(file path: String, data: FashionMNIST, classifier: () throws -> ScoringClassifier) throws -> [String: Double] {
        let tensors = try SafeTensors.load(path).tensors
        let test = data.testImages.reshaped(to: [-1, 1, 28, 28])
        func images(_ name: String, count: Int? = nil) throws -> Tensor? {
            guard let t = tensors[name] else { return nil }
            guard t.dtype == .float32, t.rank == 4, t.shape.dimensions.dropFirst() == [1, 28, 28], count.map({ t.shape[0] == $0 }) ?? true,
                  t.scalars.allSatisfy(\.isFinite) else {
                throw GenerativeError("\(path): '\(name)' must be finite float32 [\(count.map(String.init) ?? "N"), 1, 28, 28], got \(t.dtype) \(t.shape)")
            }
            return t
        }
        let n = test.shape[0]
        var scores: [String: Double] = [:]
        if let r = try images("reconstructions", count: n) { scores.merge(reconstructionScores(r, test)) { $1 } }
        if let noisy = try images("noisy", count: n) {
            guard let denoised = try images("denoised", count: n) else { throw GenerativeError("\(path): 'noisy' without 'denoised'") }
            scores.merge(reconstructionScores(noisy: noisy, denoised: denoised, clean: test)) { $1 }
        }
        if let samples = try images("samples") {
            var labels: [Int]?
            if let l = tensors["labels"] {
                guard !l.dtype.isFloatingPoint, l.shape == [samples.shape[0]], l.integers.allSatisfy({ (0..<FashionMNIST.classCount).contains($0) }) else {
                    throw GenerativeError("\(path): 'labels' must be integers in 0-9, one per sample")
                }
                labels = l.integers
            }
            guard samples.shape[0] >= 2 else { throw GenerativeError("\(path): at least 2 samples to score") }
            scores.merge(sampleScores(SampleScores(samples: samples, labels: labels, real: test, classifier: try classifier()))) { $1 }
        }
        guard !scores.isEmpty else {
            throw GenerativeError("\(path): nothing to score: no 'reconstructions', 'noisy'/'denoised' or 'samples' tensor")
        }
        return scores
    }
}
