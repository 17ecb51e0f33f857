import ArgumentParser
import DeepLearning
import Foundation

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Generative models on Fashion-MNIST: autoencoders, a VAE, GANs.",
        subcommands: [GenerateTrainCommand.self, GenerateSampleCommand.self, GenerateScoreCommand.self])
}

/// The options of the commands that read Fashion-MNIST and may need the scoring classifier.
struct GenerativeDataOptions: ParsableArguments {
    @Option(help: "Directory holding the Fashion-MNIST files (default: as train finds them).") var data: String?
    @Option(help: "The scoring classifier (a cnn-bn checkpoint); trained and saved there when missing (default: in the temporary directory).")
    var classifier: String?
}

struct GenerateTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an autoencoder (ae), a denoising autoencoder (dae), a VAE, a DCGAN (gan) or a conditional one (cgan).",
        discussion: """
            Scores on the test images, printed with --json: test_mse, psnr, ssim (ae); psnr_noisy, psnr_denoised (dae); \
            test_neg_elbo_nats, test_nll_iw_nats (vae); fid on the scoring classifier's features, class_coverage, \
            precision, recall (gan) and class_accuracy (cgan). Defaults: ae 10 epochs, latent 32, dense; dae 10, 64, \
            convolutional, Gaussian noise σ = 0.3; vae 10, 20; gan and cgan 5, 64.
            """)

    @Option(help: "ae, dae, vae, gan or cgan.") var model: String
    @Option(parsing: .unconditional, help: "Epochs (default: the model's).") var epochs: Int?
    @Option(parsing: .unconditional, help: "Size of the code (default: the model's).") var latent: Int?
    @Option(parsing: .unconditional, help: "Images per step.") var batchSize = 128
    @Option(parsing: .unconditional, help: "Seed of initialization, shuffling, noise and samples.") var seed: UInt64 = 0
    @Option(help: "dense or conv (ae, dae).") var architecture: String?
    @Option(help: "The denoiser's corruption: gaussian:SIGMA or salt-and-pepper:FRACTION.") var corruption = "gaussian:0.3"
    @Option(parsing: .unconditional, help: "The VAE's KL weight (a β-VAE above 1).") var beta: Float = 1
    @Option(help: "The GAN loss: non-saturating or hinge.") var loss = "non-saturating"
    @Flag(help: "Spectral normalization in the GAN's discriminator.") var spectralNorm = false
    @Option(parsing: .unconditional, help: "Use only the first N training images.") var limit: Int?
    @Option(help: "Save the model (safetensors) for generate sample.") var output: String?
    @OptionGroup var dataOptions: GenerativeDataOptions
    @Flag(help: "Print one JSON object at the end instead of progress.") var json = false

    func validate() throws {
        guard GenerativeRun.Kind(rawValue: model) != nil else {
            throw ValidationError("unknown model '\(model)'; choose one of \(GenerativeRun.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let epochs { try check(epochs, in: 1...100_000, "--epochs") }
        if let latent { try check(latent, in: 1...4096, "--latent") }
        try check(batchSize, in: 1...65536, "--batch-size")
        if let limit { try check(limit, in: 1...1_000_000, "--limit") }
        if let architecture, !["dense", "conv"].contains(architecture) { throw ValidationError("--architecture must be dense or conv, got '\(architecture)'") }
        guard beta.isFinite && beta >= 0 else { throw ValidationError("--beta must be finite and >= 0, got \(beta)") }
        guard GAN.Loss(rawValue: loss) != nil else { throw ValidationError("--loss must be non-saturating or hinge, got '\(loss)'") }
        do { _ = try Corruption(parsing: corruption) } catch { throw ValidationError("--corruption: \(error)") }
        if let output, !output.hasSuffix(".safetensors") { throw ValidationError("--output must name a .safetensors file") }
    }

    func run() {
        var options = GenerativeRun.Options(kind: GenerativeRun.Kind(rawValue: model)!)
        options.epochs = epochs
        options.latent = latent
        options.batchSize = batchSize
        options.seed = seed
        options.architecture = architecture
        options.corruption = orFail { try Corruption(parsing: corruption) }
        options.beta = beta
        options.loss = GAN.Loss(rawValue: loss)!
        options.spectralNorm = spectralNorm
        options.limit = limit
        options.classifier = dataOptions.classifier
        let data = loadFashionMNIST(dataOptions.data)
        let run = orFail { try GenerativeRun.train(options, data: data) { if !json { print($0) } } }
        if let output {
            do { try Checkpoint.save(run.network, to: output, metadata: run.metadata, createDirectories: true) } catch {
                fail("--output \(output): \(error)")
            }
        }
        var fields: [String: Any] = run.scores
        fields["model"] = model
        fields["epochs"] = run.logs.count
        fields["latent"] = Int(run.metadata["latent"]!)!
        fields["seed"] = seed
        fields["epoch_seconds"] = run.logs.map(\.seconds)
        for name in run.logs.last?.values.keys.sorted() ?? [] { fields[name] = run.logs.map { $0.values[name]! } }
        if let counts = run.classCounts { fields["class_counts"] = counts }
        if let output { fields["output"] = output }
        report(fields, json: json)
    }
}

struct GenerateSampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Draw a saved generative model's images as a grid (PNG or SVG).",
        discussion: """
            ae: test images over their reconstructions; dae: clean, noisy and denoised rows; vae: samples, or with \
            --interpolate N, N rows of 10 steps between pairs of test images; gan: samples; cgan: one class per column, \
            or --class K.
            """)

    @Option(help: "A model saved by generate train --output.") var checkpoint: String
    @Option(parsing: .unconditional, help: "How many images (1-1000).") var count = 64
    @Option(name: .customLong("class"), parsing: .unconditional, help: "cgan: the class to draw (0-9).") var classLabel: Int?
    @Option(parsing: .unconditional, help: "vae: rows of latent interpolation instead of samples (1-50).") var interpolate: Int?
    @Option(parsing: .unconditional, help: "Seed of the codes and noise.") var seed: UInt64 = 0
    @Option(help: "Directory holding the Fashion-MNIST files (the test images of ae, dae and vae --interpolate).") var data: String?
    @OptionGroup var output: PlotOutput

    func validate() throws {
        try check(count, in: 1...1000, "--count")
        if let classLabel { try check(classLabel, in: 0...9, "--class") }
        if let interpolate { try check(interpolate, in: 1...50, "--interpolate") }
        if output.height != nil { throw ValidationError("--height does not apply: the grid's height follows from --width") }
    }

    func run() {
        let saved = orFail { try GenerativeRun.Saved(checkpoint) }
        let dataset = loadFashionMNIST(data)
        let (images, columns, title) = orFail {
            try saved.images(count: count, classLabel: classLabel, interpolate: interpolate, data: dataset, seed: seed)
        }
        let grid = orFail { try ImageGrid(images, columns: columns > 0 ? columns : nil, normalization: .range(0, 1), title: title) }
        output.write(grid.canvas(maxWidth: output.width ?? 640), ["model": saved.kind.rawValue, "images": images.shape[0]])
    }
}

struct GenerateScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score images made elsewhere (a safetensors file) with the scores generate train prints.",
        discussion: """
            The file holds [N, 1, 28, 28] float32 tensors in [0, 1], compared with the Fashion-MNIST test images in \
            order: 'reconstructions' (test_mse, psnr, ssim), 'noisy' and 'denoised' (psnr_noisy, psnr_denoised), \
            'samples' with optional int64 'labels' (fid, class_coverage, precision, recall, class_accuracy). \
            Benchmarks/generative_pytorch.py --output writes such files.
            """)

    @Option(help: "The safetensors file of images.") var file: String
    @OptionGroup var dataOptions: GenerativeDataOptions

    func run() {
        let data = loadFashionMNIST(dataOptions.data)
        let scores = orFail {
            try GenerativeRun.score(file: file, data: data) {
                try ScoringClassifier.loadOrTrain(dataOptions.classifier ?? GenerativeRun.defaultClassifierPath, data: data)
            }
        }
        var fields: [String: Any] = scores
        fields["file"] = file
        report(fields)
    }
}
