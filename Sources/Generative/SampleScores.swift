import Datasets
import Foundation
import Layers
import Models
import TensorCore
import Training

/// The Fashion-MNIST classifier that judges generated images: the zoo's `cnn-bn` trained here.
/// Its penultimate layer (128 units after batch norm and ReLU) gives the features of the Fréchet
/// distance, documented as "FID on our features": Inception's weights cannot be fetched, and
/// Inception knows nothing of 28x28 clothes anyway. Its predictions give class coverage and accuracy.
public struct ScoringClassifier {
    public let network: Sequential
    private let body: Sequential

    /// A trained `cnn-bn` (or any Sequential taking `[N, 784]` to 10 scores through a last Linear).
    public init(network: Sequential) throws {
        guard network.layers.last is Linear, (try? network.checkedOutputShape(for: [1, 784])) == [1, 10] else {
            throw GenerativeError("the scoring classifier must take [N, 784] images to 10 scores through a last Linear layer")
        }
        self.network = network
        body = Sequential(Array(network.layers.dropLast()))
        network.eval()
    }

    /// The classifier saved at `path`, or, when there is no file there, the zoo's `cnn-bn`
    /// trained for `epochs` of its recipe on `data` and saved at `path` for the next run.
    public static func loadOrTrain(_ path: String, data: FashionMNIST, epochs: Int = 5, seed: UInt64 = 0,
                                   progress: (String) -> Void = { _ in }) throws -> ScoringClassifier {
        if FileManager.default.fileExists(atPath: path) {
            guard let network = try ModelZoo.loadCheckpoint(path).network as? Sequential else {
                throw GenerativeError("\(path): the scoring classifier must be a Sequential network")
            }
            progress("scoring classifier: \(path)")
            return try ScoringClassifier(network: network)
        }
        var recipe = try ModelZoo.recipe(for: "cnn-bn")
        recipe.epochs = epochs
        progress("training the scoring classifier (cnn-bn, \(epochs) epochs) into \(path)")
        let result = try ModelZoo.train("cnn-bn", recipe: recipe, data: data, seed: seed, showProgressBar: false)
        try Checkpoint.save(result.network, to: path, metadata: ["model": "cnn-bn", "test_accuracy": "\(result.testAccuracy)"],
                            createDirectories: true)
        progress(String(format: "scoring classifier test accuracy %.4f", result.testAccuracy))
        return try ScoringClassifier(network: result.network as! Sequential)
    }

    /// The 128 penultimate features of each image `[N, 1, 28, 28]` (or `[N, 784]`).
    public func features(_ images: Tensor) -> Tensor { inBatches(images.reshaped(to: [-1, 784]), size: 500) { body($0) } }

    /// The class each image is put in.
    public func classes(_ images: Tensor) -> [Int] {
        inBatches(images.reshaped(to: [-1, 784]), size: 500) { network($0) }.argmax(along: 1).integers
    }
}

/// How generated images compare with real ones, as the scoring classifier sees them.
public struct SampleScores: Sendable, Equatable {
    /// The Fréchet distance between the features of the samples and of the real images.
    public let fid: Double
    /// The share of classes that receive at least a tenth of their fair share (`N / 10K`) of the samples.
    public let classCoverage: Double
    /// How many samples the classifier puts in each class.
    public let classCounts: [Int]
    /// Improved precision and recall (Kynkäänniemi et al. 2019) on the features, k = 3: the share
    /// of samples inside some real image's 3-nearest-neighbour ball, and of real images inside
    /// some sample's.
    public let precision: Double, recall: Double
    /// With the labels asked for: the share of samples put in the class asked for.
    public let classAccuracy: Double?

    /// Scores `samples` `[N, 1, 28, 28]` (in `[0, 1]`) against `real` images.
    public init(samples: Tensor, labels: [Int]? = nil, real: Tensor, classifier: ScoringClassifier) {
        let (fake, truth) = (classifier.features(samples), classifier.features(real))
        fid = FrechetDistance.between(fake, truth)
        let predicted = classifier.classes(samples), k = 10
        classCounts = (0..<k).map { c in predicted.filter { $0 == c }.count }
        let least = Double(predicted.count) / Double(10 * k)
        classCoverage = Double(classCounts.filter { Double($0) >= least }.count) / Double(k)
        (precision, recall) = (Self.coverage(of: fake, by: truth), Self.coverage(of: truth, by: fake))
        classAccuracy = labels.map { l in Double(zip(predicted, l).filter { $0 == $1 }.count) / Double(max(l.count, 1)) }
    }

    /// The share of the rows of `points` that lie within the k-nearest-neighbour radius of some row of `manifold`.
    static func coverage(of points: Tensor, by manifold: Tensor, k: Int = 3) -> Double {
        var radii = [Float](repeating: 0, count: manifold.shape[0])
        forEachDistanceRow(manifold, manifold) { i, row in
            // The k + 1 smallest, kept sorted: the first is the point itself.
            var smallest = [Float](repeating: .infinity, count: k + 1)
            for d in row where d < smallest[k] {
                var j = k
                while j > 0 && smallest[j - 1] > d { smallest[j] = smallest[j - 1]; j -= 1 }
                smallest[j] = d
            }
            radii[i] = smallest[k]
        }
        var inside = 0
        forEachDistanceRow(points, manifold) { _, row in
            if zip(row, radii).contains(where: { $0 <= $1 }) { inside += 1 }
        }
        return Double(inside) / Double(points.shape[0])
    }

    /// Calls `body` with each row index of `a` and the squared Euclidean distances from that row
    /// to every row of `b`, computed 1,000 rows at a time as `|a|² + |b|² - 2abᵀ`.
    static func forEachDistanceRow(_ a: Tensor, _ b: Tensor, _ body: (Int, ArraySlice<Float>) -> Void) {
        withoutGradients {
            let bNorms = (b * b).sum(along: [1]).scalars, n = a.shape[0], m = b.shape[0]
            var row = [Float](repeating: 0, count: m)
            for first in stride(from: 0, to: n, by: 1000) {
                let chunk = a.sliced(along: 0, from: first, to: min(first + 1000, n))
                let aNorms = (chunk * chunk).sum(along: [1]).scalars
                let dots = matmul(chunk, b, transposeA: false, transposeB: true).scalars
                for i in 0..<chunk.shape[0] {
                    for j in 0..<m { row[j] = max(0, aNorms[i] + bNorms[j] - 2 * dots[i * m + j]) }
                    body(first + i, row[...])
                }
            }
        }
    }
}
