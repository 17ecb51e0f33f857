import Foundation
import Testing
import Layers
import Optimizers
import TensorCore
import TestSupport
import Training
@testable import Compression

func mlp() -> Sequential {
    Random.withSeed(1) { Sequential { Linear(12, 16); ReLU(); Linear(16, 8); ReLU(); Linear(8, 3) } }
}

func weights(_ network: any Layer) -> [[Float]] { Pruning.prunableWeights(of: network).map { $0.parameter.value.scalars } }

@Suite struct MagnitudePruningTests {
    @Test func globalPruningZerosTheSmallestWeightsAcrossLayers() {
        let network = mlp()
        let before = weights(network).flatMap { $0 }
        let masks = Pruning.magnitudeMasks(for: network, sparsity: 0.75)
        masks.apply()
        let after = weights(network).flatMap { $0 }
        let pruned = Int((Float(before.count) * 0.75).rounded())
        #expect(after.count { $0 == 0 } == pruned)
        #expect(abs(masks.sparsity - Float(pruned) / Float(before.count)) < 1e-6)
        // Every pruned weight was no larger than every kept one, and kept weights are unchanged.
        let largestPruned = zip(before, after).filter { $0.1 == 0 }.map { abs($0.0) }.max()!
        let smallestKept = zip(before, after).filter { $0.1 != 0 }.map { abs($0.0) }.min()!
        #expect(largestPruned <= smallestKept)
        #expect(zip(before, after).allSatisfy { $0.1 == 0 || $0.1 == $0.0 })
        // Biases are not pruned.
        #expect((network[0] as! Linear).bias!.value.scalars.allSatisfy { $0 != 0 })
        #expect(abs(Pruning.sparsity(of: network) - masks.sparsity) < 1e-6)
    }

    @Test func perLayerPruningGivesEveryLayerTheSparsity() {
        let network = mlp()
        Pruning.magnitudeMasks(for: network, sparsity: 0.5, scope: .perLayer).apply()
        for w in weights(network) { #expect(w.count { $0 == 0 } == Int((Float(w.count) * 0.5).rounded())) }
    }

    @Test func convolutionWeightsArePrunedToo() {
        let network = Random.withSeed(2) { Sequential { Conv2D(1, 4, kernelSize: 3); Flatten(); Linear(4 * 4 * 4, 2) } }
        #expect(Pruning.prunableWeights(of: network).map(\.name) == ["0.weight", "2.weight"])
        Pruning.magnitudeMasks(for: network, sparsity: 0.9).apply()
        #expect(abs(Pruning.sparsity(of: network) - 0.9) < 0.01)
    }

    @Test func polynomialScheduleRisesFastThenSlowly() {
        let s = PolynomialSparsitySchedule(initial: 0, final: 0.8, begin: 10, end: 110)
        #expect(s.sparsity(at: 0) == 0 && s.sparsity(at: 10) == 0)
        #expect(abs(s.sparsity(at: 60) - 0.8 * (1 - 0.125)) < 1e-6)
        #expect(s.sparsity(at: 110) == 0.8 && s.sparsity(at: 500) == 0.8)
        #expect(s.sparsity(at: 35) - s.sparsity(at: 10) > s.sparsity(at: 110) - s.sparsity(at: 85))
    }

    /// Masks survive optimizer steps, and the gradual schedule ends at its sparsity.
    @Test func fitKeepsPrunedWeightsAtZero() {
        let (x, y) = Random.withSeed(5) { (Tensor.normal([64, 12]), Tensor(integers: (0..<64).map { $0 % 3 })) }
        for gradual in [false, true] {
            let network = mlp()
            let model = Model(network)
            model.compile(optimizer: Adam(network.trainableParameters, learningRate: 1e-2), loss: .crossEntropy())
            let callback = gradual
                ? PruningCallback(network: network, schedule: PolynomialSparsitySchedule(final: 0.8, end: 12), frequency: 4)
                : PruningCallback(Pruning.magnitudeMasks(for: network, sparsity: 0.8), network: network)
            let zerosBefore = gradual ? [] : weights(network).map { w in w.indices.filter { w[$0] == 0 } }
            model.fit(x, y, epochs: 3, batchSize: 16, callbacks: [callback], verbose: .silent)
            #expect(callback.step == 12)
            #expect(abs(Pruning.sparsity(of: network) - 0.8) < 0.01, "gradual \(gradual): \(Pruning.sparsity(of: network))")
            if !gradual {
                for (w, zeros) in zip(weights(network), zerosBefore) { #expect(zeros.allSatisfy { w[$0] == 0 }) }
                // The kept weights did train.
                #expect(weights(network).flatMap { $0 }.count { $0 != 0 } > 0)
            }
        }
    }
}

@Suite struct SparseStorageTests {
    @Test func aSparseCheckpointIsSmallAndLoadsTheSameWeights() throws {
        let network = Random.withSeed(6) { Sequential { Linear(12, 160); ReLU(); Linear(160, 80); ReLU(); Linear(80, 3) } }
        Pruning.magnitudeMasks(for: network, sparsity: 0.9).apply()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sparse-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let dense = directory + "/dense.safetensors", sparse = directory + "/sparse.safetensors"
        try Checkpoint.save(network, to: dense)
        try Checkpoint.save(network, to: sparse, sparse: true)
        func size(_ path: String) throws -> Int { try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int }
        // The weights shrink to 0.1 x 4 + 1/8 bytes per element; the header (architecture) stays.
        let weightBytes = weights(network).reduce(0) { $0 + $1.count } * 4
        #expect(try size(dense) - size(sparse) > weightBytes * 8 / 10)
        let (loaded, _) = try Checkpoint.loadModel(sparse)
        #expect(weights(loaded) == weights(network))
        let x = Tensor.normal([4, 12])
        #expect(loaded(x).scalars == network(x).scalars)
        let into = Random.withSeed(7) { Sequential { Linear(12, 160); ReLU(); Linear(160, 80); ReLU(); Linear(80, 3) } }
        try Checkpoint.load(sparse, into: into)
        #expect(into.parameters.map { $0.value.scalars } == network.parameters.map { $0.value.scalars })
    }

    @Test func encodeAndDecodeAreInverseAndCheckTheirParts() throws {
        let t = Tensor([0, 0, 1.5, 0, 0, 0, 0, 0, 0, -2, 0, 0, 0, 0, 0, 0, 0, 3], shape: [2, 9])
        let (encoded, metadata) = SparseStorage.encode(["w": t, "labels": Tensor(integers: [1, 2])])
        #expect(encoded["w"] == nil && encoded["w/sparse_values"]!.scalars == [1.5, -2, 3])
        #expect(encoded["w/sparse_mask"]!.dtype == .uint8 && encoded["w/sparse_mask"]!.shape == [3])
        let decoded = try SparseStorage.decode(encoded, metadata: ["sparse_tensors": metadata!], path: "f")
        #expect(decoded["w"]!.scalars == t.scalars && decoded["w"]!.shape == [2, 9] && decoded.count == 2)
        // A tensor less than half zeros stays dense.
        #expect(SparseStorage.encode(["d": Tensor([1, 2, 3, 0, 0, 5, 6])]).metadata == nil)
        func reason(_ tensors: [String: Tensor], _ json: String) -> String {
            do { _ = try SparseStorage.decode(tensors, metadata: ["sparse_tensors": json], path: "f"); return "" } catch { return "\(error)" }
        }
        var tooFew = encoded
        tooFew["w/sparse_values"] = Tensor([1.5, -2])
        #expect(reason(tooFew, metadata!) == "f: sparse tensors: 'w' has [2] values for a mask of 3 set bits")
        #expect(reason(encoded, #"{"w":[3,9]}"#) == "f: sparse tensors: the mask of 'w' does not fit shape [3, 9]")
        #expect(reason(encoded, #"{"w":[-2,-9]}"#) == "f: sparse tensors: 'w' has shape [-2, -9]")
        #expect(reason(encoded, #"{"v":[2,9]}"#) == "f: sparse tensors: 'v' lacks its mask or values")
        #expect(reason(encoded, #"[1]"#) == "f: sparse tensors: 'sparse_tensors' is not an object of shapes")
        var spare = encoded
        spare["w/sparse_mask"] = Tensor(rawBytes: [4, 2, 6], dtype: .uint8, shape: [3])
        #expect(reason(spare, metadata!) == "f: sparse tensors: 'w' has [3] values for a mask of 4 set bits")
    }
}
