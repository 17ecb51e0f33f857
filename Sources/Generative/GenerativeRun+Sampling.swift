import Datasets
import Foundation
import Layers
import TensorCore
import Training

extension GenerativeRun {
    /// A saved generative model: what `generate train --output` wrote, rebuilt and checked.
    public struct Saved {
        public let kind: Kind
        public let latent: Int, classes: Int
        public let network: Sequential

        /// Reads `path`; throws naming the file unless it holds a generative model whose parts take
        /// and give the shapes its metadata says.
        public init(_ path: String) throws {
            let (model, metadata) = try Checkpoint.loadModel(path)
            guard let name = metadata["generative_model"], let kind = Kind(rawValue: name) else {
                throw GenerativeError("\(path): not a generative model (no valid 'generative_model' in the metadata; written by generate train?)")
            }
            guard let latent = metadata["latent"].flatMap(Int.init), (1...4096).contains(latent) else {
                throw GenerativeError("\(path): invalid 'latent' in the metadata")
            }
            let classes = kind == .cgan ? FashionMNIST.classCount : 0
            guard let network = model as? Sequential else { throw GenerativeError("\(path): the saved network is not a Sequential") }
            func shape(_ layer: any Layer, _ input: [Int]) -> [Int]? { try? layer.checkedOutputShape(for: input) }
            let image = [1, 1, 28, 28]
            switch kind {
            case .ae, .dae, .vae:
                let code = kind == .vae ? 2 * latent : latent
                guard network.layers.count == 2, shape(network.layers[0], image) == [1, code], shape(network.layers[1], [1, latent]) == image else {
                    throw GenerativeError("\(path): the \(kind.rawValue) must be an encoder of 28x28 images to \(code) numbers and a decoder back")
                }
            case .gan, .cgan:
                guard shape(network, [1, latent + classes]) == image else {
                    throw GenerativeError("\(path): the generator must take \(latent + classes) numbers to a 28x28 image")
                }
            }
            network.eval()
            (self.kind, self.latent, self.classes, self.network) = (kind, latent, classes, network)
        }

        /// The images `generate sample` draws, in `[0, 1]`, with the columns of their grid and a title:
        /// - ae: test images above their reconstructions; dae: clean, noisy and denoised rows;
        /// - vae: samples from the prior, or with `interpolate`, that many rows of 10 steps between two test images;
        /// - gan: samples; cgan: of class `classLabel`, or one column per class.
        public func images(count: Int, classLabel: Int?, interpolate: Int?, data: FashionMNIST, seed: UInt64) throws -> (Tensor, columns: Int, title: String) {
            guard (1...1000).contains(count) else { throw GenerativeError("--count must be in 1...1000, got \(count)") }
            if let classLabel, kind != .cgan || !(0..<classes).contains(classLabel) {
                throw GenerativeError(kind == .cgan ? "--class must be in 0...9" : "--class applies only to a cgan")
            }
            if interpolate != nil && kind != .vae { throw GenerativeError("--interpolate applies only to a vae") }
            let test = data.testImages.reshaped(to: [-1, 1, 28, 28])
            let n = min(count, test.shape[0]), first = test.sliced(along: 0, from: 0, to: n)
            switch kind {
            case .ae:
                let ae = Autoencoder(encoder: network.layers[0] as! Sequential, decoder: network.layers[1] as! Sequential, latentSize: latent)
                return (Tensor.concat([first, ae.reconstruct(first)]), n, "test images (top) and their reconstructions")
            case .dae:
                let ae = Autoencoder(encoder: network.layers[0] as! Sequential, decoder: network.layers[1] as! Sequential, latentSize: latent)
                var generator = RandomGenerator(seed: seed)
                let noisy = Corruption.gaussian(sigma: 0.3).apply(to: first, using: &generator)
                return (Tensor.concat([first, noisy, ae.reconstruct(noisy)]), n, "clean, noisy (sigma 0.3) and denoised test images")
            case .vae:
                let vae = VariationalAutoencoder(encoder: network.layers[0] as! Sequential, decoder: network.layers[1] as! Sequential, latentSize: latent)
                guard let rows = interpolate else { return (vae.sample(count: count, seed: seed), 0, "\(count) samples of the VAE") }
                guard (1...50).contains(rows), 2 * rows <= test.shape[0] else { throw GenerativeError("--interpolate must be in 1...50") }
                let lines = (0..<rows).map { r in
                    vae.interpolate(test.sliced(along: 0, from: 2 * r, to: 2 * r + 1), test.sliced(along: 0, from: 2 * r + 1, to: 2 * r + 2), steps: 10)
                }
                return (Tensor.concat(lines), 10, "latent interpolation between pairs of test images")
            case .gan, .cgan:
                var generator = RandomGenerator(seed: seed)
                let z = Tensor.normal([count, latent], using: &generator)
                var title = "\(count) samples of the \(kind == .gan ? "GAN" : "conditional GAN")"
                if kind == .cgan { title += classLabel.map { ": \(FashionMNIST.classNames[$0])" } ?? ", one class per column" }
                let labels = kind == .cgan ? Tensor(integers: (0..<count).map { classLabel ?? $0 % classes }) : nil
                let images = GAN.images(from: network, codes: z, labels: labels, classes: classes)
                return (images, kind == .cgan && classLabel == nil ? classes : 0, title)
            }
        }
    }
}
