import Foundation
import Testing
import TensorCore
@testable import Datasets

@Suite struct IDXTests {
    @Test func readsAnUncompressedFile() throws {
        // Two 2x3 images: magic 0x00000803, dims 2, 2, 3.
        let path = try temporaryFile([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3] + [0, 51, 102, 153, 204, 255, 1, 2, 3, 4, 5, 6])
        let images = try IDX.readImages(path)
        #expect(images.shape == [2, 6])
        #expect(images.scalars[0..<6] == [0, 0.2, 0.4, 0.6, 0.8, 1])
    }

    @Test func rejectsBadFilesWithTheReason() throws {
        let truncated = try temporaryFile([0, 0, 8, 1, 0, 0, 0, 5, 1, 2])
        #expect(throws: DatasetError.malformed(path: truncated, reason: "truncated: header promises 5 elements of shape [5], file holds 2")) {
            try IDX.readLabels(truncated)
        }
        let notIDX = try temporaryFile(Array("hello".utf8))
        #expect(throws: DatasetError.malformed(path: notIDX, reason: "missing IDX magic number")) {
            try IDX.readLabels(notIDX)
        }
        #expect(throws: DatasetError.fileNotFound(path: "/nonexistent/file")) { try IDX.readLabels("/nonexistent/file") }
        let corrupt = try temporaryFile([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8], name: "x.gz")
        #expect(throws: DatasetError.self) { try IDX.readLabels(corrupt) }
    }

    @Test func loadsTheBundledFashionMNISTSample() throws {
        let dir = try #require(FashionMNIST.bundledSampleDirectory)
        let data = try FashionMNIST.load(directory: dir)
        #expect(data.trainImages.shape == [6000, 784])
        #expect(data.testImages.shape == [1000, 784])
        #expect(data.trainLabels.integers.prefix(5) == [9, 0, 0, 3, 0])   // the dataset's first labels
        #expect(Set(data.testLabels.integers) == Set(0..<10))
        #expect(data.trainImages.max().scalar == 1 && data.trainImages.min().scalar == 0)
    }
}

@Suite struct DataLoaderTests {
    @Test func batchesCoverEveryExampleOnceAndReshuffle() {
        let x = Tensor.arange(to: 10).reshaped(to: [10, 1])
        let y = Tensor(integers: Array(0..<10))
        let loader = DataLoader(x, y, batchSize: 4, shuffle: true, seed: 1)
        let first = loader.map { $0.1.integers }
        #expect(first.map(\.count) == [4, 4, 2])
        #expect(first.flatMap { $0 }.sorted() == Array(0..<10))
        let second = loader.flatMap { $0.1.integers }
        #expect(second != first.flatMap { $0 })
        // Inputs and targets stay paired.
        for (bx, by) in loader { #expect(bx.scalars.map(Int.init) == by.integers) }
        // Same seed, same batches.
        let again = DataLoader(x, y, batchSize: 4, shuffle: true, seed: 1).map { $0.1.integers }
        #expect(again == first)
        #expect(DataLoader(x, y, batchSize: 4, dropLast: true).batchCount == 2)
    }
}

@Suite struct SplitAndCSVTests {
    @Test func splitsAreDisjointAndComplete() {
        let data = TensorDataset(Tensor.arange(to: 10).reshaped(to: [10, 1]), Tensor(integers: Array(0..<10)))
        let (train, validation) = data.split(validationFraction: 0.3, seed: 2)
        #expect(train.count == 7 && validation.count == 3)
        #expect(Set(train.targets.integers + validation.targets.integers) == Set(0..<10))
        let folds = data.kFold(3, seed: 1)
        #expect(folds.map(\.validation.count) == [3, 3, 4])
        #expect(folds.flatMap(\.validation.targets.integers).sorted() == Array(0..<10))
        for fold in folds { #expect(Set(fold.train.targets.integers).isDisjoint(with: fold.validation.targets.integers)) }
    }

    @Test func prefetchGivesTheSameBatchesInOrder() {
        let x = Tensor.arange(to: 50).reshaped(to: [50, 1])
        let y = Tensor(integers: Array(0..<50))
        let with = DataLoader(x, y, batchSize: 7, shuffle: true, prefetch: true, seed: 3).map { $0.1.integers }
        let without = DataLoader(x, y, batchSize: 7, shuffle: true, prefetch: false, seed: 3).map { $0.1.integers }
        #expect(with == without && with.count == 8)
    }

    @Test func csvReading() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("d.csv").path
        try "label,a,b\n1, 0.5, 2\n\n0,3,-1\n".write(toFile: path, atomically: true, encoding: .utf8)
        let (m, header) = try CSV.readMatrix(path, hasHeader: true)
        #expect(header == ["label", "a", "b"] && m.shape == [2, 3] && m.scalars == [1, 0.5, 2, 0, 3, -1])
        let (features, labels) = try CSV.readLabeled(path, labelColumn: 0, hasHeader: true)
        #expect(features.scalars == [0.5, 2, 3, -1] && labels.integers == [1, 0])
        try "1,2\n3\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: DatasetError.malformed(path: path, reason: "line 2 has 1 fields, expected 2")) { try CSV.readMatrix(path) }
        try "1,x\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: DatasetError.malformed(path: path, reason: "line 1, field 2: 'x' is not a number")) { try CSV.readMatrix(path) }
    }
}

@Suite struct AugmentationTests {
    func image(_ values: [Float]) -> Tensor { Tensor(values, shape: [1, values.count]) }

    func augmented(_ x: Tensor, _ a: [Augmentation], shape: (Int, Int, Int), seed: UInt64 = 0) -> [Float] {
        AugmentedDataset(TensorDataset(x, Tensor(integers: [0])), imageShape: shape, augmentations: a, seed: seed)
            .batch(at: [0]).inputs.scalars
    }

    @Test func deterministicTransforms() {
        let x = image((0..<6).map(Float.init))   // 1 channel, 2 x 3
        #expect(augmented(x, [.horizontalFlip(probability: 1)], shape: (1, 2, 3)) == [2, 1, 0, 5, 4, 3])
        #expect(augmented(x, [.horizontalFlip(probability: 0)], shape: (1, 2, 3)) == x.scalars)
        #expect(augmented(x, [.normalization(mean: 1, std: 2)], shape: (1, 2, 3)) == [-0.5, 0, 0.5, 1, 1.5, 2])
        #expect(augmented(x, [.randomCrop(padding: 0)], shape: (1, 2, 3)) == x.scalars)
        let r = augmented(x, [.rotation(degrees: 0)], shape: (1, 2, 3))
        #expect(zip(r, x.scalars).allSatisfy { Swift.abs($0 - $1) < 1e-5 })
    }

    @Test func shiftsAndErasingKeepContent() {
        let x = image([Float](repeating: 1, count: 64))   // 8 x 8 of ones
        for seed in 0..<5 as Range<UInt64> {
            let cropped = augmented(x, [.randomCrop(padding: 2)], shape: (1, 8, 8), seed: seed)
            // A shift of at most 2 rows and 2 columns leaves at least 6 x 6 ones.
            #expect(cropped.filter { $0 == 1 }.count >= 36 && cropped.allSatisfy { $0 == 0 || $0 == 1 })
            let erased = augmented(x, [.erasing(probability: 1)], shape: (1, 8, 8), seed: seed)
            let zeros = erased.filter { $0 == 0 }.count
            #expect(zeros > 0 && zeros <= 32)
        }
    }

    /// A `height` x `width` plane of zeros with 1 at (`row`, `column`); nothing where that is outside.
    func dot(_ row: Int, _ column: Int, height: Int = 10, width: Int = 10) -> [Float] {
        var x = [Float](repeating: 0, count: height * width)
        if (0..<height).contains(row) && (0..<width).contains(column) { x[row * width + column] = 1 }
        return x
    }

    @Test func shiftMovesEachPixelByTheOffset() {
        func shifted(_ x: [Float], channels: Int = 1, dy: Int, dx: Int) -> [Float] {
            var x = x
            x.withUnsafeMutableBufferPointer { Augmentation.shift($0, channels: channels, height: 10, width: 10, dy: dy, dx: dx) }
            return x
        }
        #expect(shifted(dot(2, 3), dy: 4, dx: -2) == dot(6, 1))
        #expect(shifted(dot(2, 3), dy: -2, dx: 6) == dot(0, 9))
        #expect(shifted(dot(2, 3), dy: -3, dx: 0) == dot(-1, 3))   // moved out: all zeros
        // Each channel moves by the same offset.
        #expect(shifted(dot(2, 3) + dot(7, 8), channels: 2, dy: 1, dx: 1) == dot(3, 4) + dot(8, 9))
    }

    @Test func translationMovesAPixelByTheOffsetItsSeedDraws() {
        var offsets = Set<[Int]>()
        for seed in 0..<8 as Range<UInt64> {
            // As `apply` draws them: dy, then dx, each uniform in -2...2 (20% of 10 pixels).
            var rng = RandomGenerator(seed: seed)
            let dy = Int(rng.next() % 5) - 2, dx = Int(rng.next() % 5) - 2
            let moved = augmented(image(dot(5, 4)), [.translation(fraction: 0.2)], shape: (1, 10, 10), seed: seed)
            #expect(moved == dot(5 + dy, 4 + dx), "seed \(seed): want the pixel at (\(5 + dy), \(4 + dx))")
            offsets.insert([dy, dx])
        }
        #expect(offsets.count > 2, "the seeds draw different offsets: \(offsets)")
    }

    func rotated(_ x: [Float], size: Int = 8, radians angle: Float) -> [Float] {
        var x = x
        x.withUnsafeMutableBufferPointer { Augmentation.rotate($0, channels: 1, height: size, width: size, angle: angle) }
        return x
    }

    /// The intensity-weighted centre of a plane, as (row, column).
    func centroid(_ x: [Float], width: Int = 8) -> (Float, Float) {
        let total = x.reduce(0, +)
        let row = x.indices.reduce(0) { $0 + Float($1 / width) * x[$1] } / total
        let column = x.indices.reduce(0) { $0 + Float($1 % width) * x[$1] } / total
        return (row, column)
    }

    @Test func rotationTurnsAPixelAboutTheCentre() {
        // About the centre (3.5, 3.5) of 8 x 8, counterclockwise as displayed (rows run down):
        // (1, 2) goes to (5, 1) by a quarter turn, to (2, 6) by a quarter turn back, to (6, 5) by a half turn.
        for (degrees, row, column) in [(90, 5, 1), (-90, 2, 6), (180, 6, 5)] as [(Float, Int, Int)] {
            let turned = rotated(dot(1, 2, height: 8, width: 8), radians: degrees * .pi / 180)
            let want = dot(row, column, height: 8, width: 8)
            #expect(zip(turned, want).allSatisfy { Swift.abs($0 - $1) < 1e-5 }, "\(degrees)°: \(turned)")
        }
    }

    @Test func rotationTurnsByTheAngleItsSeedDraws() {
        var angles = Set<Float>()
        for seed in 0..<6 as Range<UInt64> {
            // As `apply` draws it: uniform in ±90°.
            var rng = RandomGenerator(seed: seed)
            let angle = (rng.nextUnitFloat() * 2 - 1) * 90 * Float.pi / 180
            let source = dot(1, 2, height: 8, width: 8)
            let turned = augmented(image(source), [.rotation(degrees: 90)], shape: (1, 8, 8), seed: seed)
            #expect(turned == rotated(source, radians: angle), "seed \(seed): angle \(angle)")
            // Where the pixel's centre should go, (ry, rx) = R(angle) (-2.5, -1.5) about the centre; bilinear
            // sampling spreads it over its neighbours but keeps their centroid within a fraction of a pixel.
            let (c, s) = (cosf(angle), sinf(angle))
            let (row, column) = (3.5 + c * -2.5 - s * -1.5, 3.5 + s * -2.5 + c * -1.5)
            let (cy, cx) = centroid(turned)
            #expect(Swift.abs(cy - row) < 0.3 && Swift.abs(cx - column) < 0.3,
                    "seed \(seed), \(angle * 180 / .pi)°: centroid (\(cy), \(cx)), want (\(row), \(column))")
            angles.insert(angle)
        }
        #expect(angles.count == 6)
    }

    @Test func sameSeedSameAugmentedBatches() {
        let x = Tensor.arange(to: 200).reshaped(to: [2, 100])
        let make = { AugmentedDataset(TensorDataset(x, Tensor(integers: [0, 1])), imageShape: (1, 10, 10),
                                      augmentations: [.horizontalFlip(), .translation(fraction: 0.2), .erasing()], seed: 7) }
        let a = make(), b = make()
        #expect(a.batch(at: [0, 1]).inputs.scalars == b.batch(at: [0, 1]).inputs.scalars)
        // Each call draws afresh: the second pass differs from the first.
        let first = a.batch(at: [0, 1]).inputs.scalars
        #expect(a.batch(at: [0, 1]).inputs.scalars != first)
        #expect(DataLoader(a, batchSize: 1).map(\.0.shape) == [[1, 100], [1, 100]])
    }
}
