import Foundation
import TensorCore

/// Fashion-MNIST: 28 x 28 grey images of clothing in 10 classes, 60,000 for training and 10,000
/// for testing (Xiao, Rasul and Vollgraf, 2017).
///
/// `load(directory:)` looks in the given directory, then `$DEEPLEARN_DATA`, then
/// /usr/share/datasets/fashion-mnist (Debian's `dataset-fashion-mnist`), and finally falls back to
/// the real 6,000 + 1,000 image sample bundled with this package.
public struct FashionMNIST: Sendable {
    /// Training images in `[0, 1]`. Shape: `[N, 784]`.
    public let trainImages: Tensor
    /// Training labels, int64 in `0..<10`. Shape: `[N]`.
    public let trainLabels: Tensor
    /// Test images. Shape: `[M, 784]`.
    public let testImages: Tensor
    /// Test labels. Shape: `[M]`.
    public let testLabels: Tensor
    /// The directory the files were read from.
    public let directory: String
    /// Whether this is the bundled sample rather than the full set.
    public let isBundledSample: Bool

    /// A data set from tensors already in memory (a subset, or images prepared elsewhere).
    public init(trainImages: Tensor, trainLabels: Tensor, testImages: Tensor, testLabels: Tensor, directory: String,
                isBundledSample: Bool) {
        self.trainImages = trainImages
        self.trainLabels = trainLabels
        self.testImages = testImages
        self.testLabels = testLabels
        self.directory = directory
        self.isBundledSample = isBundledSample
    }

    /// The number of classes: labels run over `0..<classCount`.
    public static let classCount = 10

    /// The class names, by label.
    public static let classNames = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
        "Ankle boot",
    ]

    static let files = [
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ]

    /// The directory holding the bundled sample.
    public static var bundledSampleDirectory: String? {
        Bundle.module.url(forResource: "fashion-mnist-sample", withExtension: nil)?.path
    }

    /// Loads the first directory in the search order that holds all four files (each may be
    /// gzip-compressed). An explicitly given `directory` must hold them.
    public static func load(directory: String? = nil) throws -> FashionMNIST {
        if let directory {
            return try load(from: directory, isBundledSample: false)
        }
        var searched: [String] = []
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["DEEPLEARN_DATA"], !env.isEmpty {
            candidates += [env, env + "/fashion-mnist"]
        }
        candidates.append("/usr/share/datasets/fashion-mnist")
        for dir in candidates {
            searched.append(dir)
            if files.allSatisfy({ path(of: $0, in: dir) != nil }) {
                return try load(from: dir, isBundledSample: false)
            }
        }
        if let sample = bundledSampleDirectory {
            return try load(from: sample, isBundledSample: true)
        }
        throw DatasetError.notFound(dataset: "Fashion-MNIST", searched: searched + ["the bundled sample"])
    }

    private static func path(of name: String, in directory: String) -> String? {
        for candidate in [name, name + ".gz"] {
            let full = (directory as NSString).appendingPathComponent(candidate)
            if FileManager.default.fileExists(atPath: full) { return full }
        }
        return nil
    }

    /// Reads the four files, checking that each images file is 28 x 28 images, each labels file
    /// holds one label in `0..<classCount` per image.
    private static func load(from directory: String, isBundledSample: Bool) throws -> FashionMNIST {
        let paths = try files.map { name -> String in
            guard let p = path(of: name, in: directory) else {
                throw DatasetError.fileNotFound(path: (directory as NSString).appendingPathComponent(name + "[.gz]"))
            }
            return p
        }
        let (trainImages, trainLabels) = try readPair(images: paths[0], labels: paths[1])
        let (testImages, testLabels) = try readPair(images: paths[2], labels: paths[3])
        return FashionMNIST(trainImages: trainImages, trainLabels: trainLabels, testImages: testImages, testLabels: testLabels,
                            directory: directory, isBundledSample: isBundledSample)
    }

    /// One split's images and labels, checked against each other; errors name the file at fault.
    private static func readPair(images imagesPath: String, labels labelsPath: String) throws -> (Tensor, Tensor) {
        let images = try IDX.readImages(imagesPath, size: (28, 28))
        let labels = try IDX.readLabels(labelsPath)
        guard labels.shape[0] == images.shape[0] else {
            throw DatasetError.malformed(
                path: labelsPath, reason: "\(labels.shape[0]) labels for the \(images.shape[0]) images of \(imagesPath)")
        }
        if let (i, label) = labels.integers.enumerated().first(where: { !(0..<classCount).contains($0.element) }) {
            throw DatasetError.malformed(path: labelsPath, reason: "label \(label) at index \(i) is outside 0..<\(classCount)")
        }
        return (images, labels)
    }
}
