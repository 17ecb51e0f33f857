import CPUBackend
import Datasets
@testable import Distributed
import Foundation
import Layers
import Optimizers
import TensorCore
import Testing
import Training

/// Runs `body(rank)` on `size` threads at once (ranks of a `LocalCommunicator` group) and
/// returns the results in rank order.
func onRanks<R>(_ size: Int, _ body: @escaping @Sendable (LocalCommunicator) -> R) -> [R] {
    let group = LocalCommunicator.group(size: size)
    let results = Results<R>(size)
    let done = DispatchGroup()
    for communicator in group {
        done.enter()
        let thread = Thread {
            results.set(communicator.rank, body(communicator))
            done.leave()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }
    done.wait()
    return results.values.map { $0! }
}

final class Results<R>: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [R?]
    init(_ size: Int) { values = Array(repeating: nil, count: size) }
    func set(_ i: Int, _ value: R) { lock.lock(); values[i] = value; lock.unlock() }
}

/// Data the tests train on: 200 noisy points of 3 classes in 6 dimensions.
func clusters(seed: UInt64 = 5) -> (Tensor, Tensor) {
    var g = RandomGenerator(seed: seed)
    let labels = (0..<200).map { $0 % 3 }
    let x = Tensor.normal([200, 6], using: &g)
    let centers = Tensor.normal([3, 6], using: &g) * 2
    return (x + centers.selecting(along: 0, indices: Tensor(integers: labels)), Tensor(integers: labels))
}

/// An MLP trained `epochs` on the clusters with Adam, on one process or (with `communicator`)
/// as one rank of several; its weights after training and the logs.
func trainMLP(_ communicator: (any Communicator)?, batchSize: Int, epochs: Int = 2, overlap: Bool = true, bucketCapacity: Int = 64,
              clipNorm: Float? = nil) -> (weights: [[Float]], history: History) {
    Random.withSeed(communicator.map { 100 + UInt64($0.rank) } ?? 100) {
        let network = Sequential { Linear(6, 16); ReLU(); Linear(16, 16); Tanh(); Linear(16, 3) }
        let model = Model(network)
        model.compile(optimizer: Adam(network.trainableParameters, learningRate: 0.01), loss: .crossEntropy(), metrics: [Accuracy()],
                      clipNorm: clipNorm)
        if let communicator { model.distribute(over: communicator, bucketCapacity: bucketCapacity, overlap: overlap) }
        let (x, y) = clusters()
        let history = model.fit(x, y, epochs: epochs, batchSize: batchSize, validationData: (x[0..<50], y[0..<50]), seed: 7,
                                verbose: .silent)
        return (network.parameters.map { $0.value.scalars }, history)
    }
}

func maxDifference(_ a: [[Float]], _ b: [[Float]]) -> Float {
    zip(a, b).map { zip($0, $1).map { abs($0 - $1) }.max() ?? 0 }.max() ?? 0
}

@Suite struct CommunicatorTests {
    @Test func localCollectivesAgreeOnEveryRank() {
        let results = onRanks(3) { c -> ([Float], [Float], [Float]) in
            let r = Float(c.rank)
            let summed = c.allReduce([r, 10 * r, 1])
            let broadcast = c.broadcast(Tensor([r, r + 1]), root: 1).scalars
            c.barrier()
            let gathered = c.allGather(Tensor([r, -r])).scalars
            return (summed, broadcast, gathered)
        }
        for (summed, broadcast, gathered) in results {
            #expect(summed == [3, 30, 3])
            #expect(broadcast == [1, 2])
            #expect(gathered == [0, 0, 1, -1, 2, -2])
        }
    }

    @Test func aGroupOfOneReturnsItsInput() {
        let c = SingleProcessCommunicator()
        #expect(c.allReduce([1, 2], .mean) == [1, 2])
        #expect(c.allGather(Tensor([3, 4])).shape == [1, 2])
    }

    @Test func theTimeoutSettingIsValidated() throws {
        setenv("DEEPLEARN_DISTRIBUTED_TIMEOUT", "soon", 1)
        defer { unsetenv("DEEPLEARN_DISTRIBUTED_TIMEOUT") }
        #expect(throws: MPICommunicator.Unavailable.self) { try MPICommunicator.timeoutSetting() }
        setenv("DEEPLEARN_DISTRIBUTED_TIMEOUT", "0", 1)
        #expect(throws: MPICommunicator.Unavailable.self) { try MPICommunicator.timeoutSetting() }
        setenv("DEEPLEARN_DISTRIBUTED_TIMEOUT", "30", 1)
        #expect(try MPICommunicator.timeoutSetting() == 30)
    }
}

@Suite struct HalvingTreeTests {
    @Test func leavesHalveTheRange() {
        #expect(HalvingTree.leaves(of: 112, leaf: 32) == [0..<28, 28..<56, 56..<84, 84..<112])
        #expect(HalvingTree.leaves(of: 33, leaf: 32) == [0..<16, 16..<33])
        #expect(HalvingTree.leaves(of: 5, leaf: 32) == [0..<5])
    }

    /// The sum over a range equals the sum of its two halves' sums, bit for bit: two processes
    /// holding a half each get one process's result.
    @Test(arguments: [128, 112, 100, 72]) func aSumIsTheSumOfItsHalves(_ n: Int) {
        var g = RandomGenerator(seed: UInt64(n))
        let x = Tensor.normal([n, 7], using: &g) * 1000
        let whole = x.sum(along: 0).scalars
        let halves = (x[0..<(n / 2)].sum(along: 0) + x[(n / 2)..<n].sum(along: 0)).scalars
        #expect(whole == halves)
        // A running sum down the rows rounds differently: the tree is what makes them agree.
        let running = (0..<7).map { j in (0..<n).reduce(Float(0)) { $0 + x.scalars[$1 * 7 + j] } }
        #expect(running != whole || n <= HalvingTree.reductionLeaf)
    }
}

@Suite struct ShardTests {
    @Test func shardsPartitionEveryBatch() {
        let x = Tensor((0..<23).map(Float.init), shape: [23, 1]), y = Tensor(integers: Array(0..<23))
        let whole = DataLoader(x, y, batchSize: 8, shuffle: true, seed: 3).map { $0.1.integers }
        let parts = (0..<3).map { r in DataLoader(x, y, batchSize: 8, shuffle: true, seed: 3, shard: .init(rank: r, count: 3)).map { $0.1.integers } }
        #expect(whole.count == 3 && parts.allSatisfy { $0.count == 3 })
        for b in 0..<3 { #expect(parts.map { $0[b] }.reduce([], +) == whole[b]) }
        #expect(parts.map { $0[0].count } == [2, 3, 3])
    }

    @Test func aLastBatchSmallerThanTheRanksIsLeftOut() {
        let x = Tensor.zeros([17, 1]), y = Tensor(integers: Array(0..<17))
        #expect(DataLoader(x, y, batchSize: 8, shard: .init(rank: 0, count: 2)).batchCount == 2)
        #expect(DataLoader(x, y, batchSize: 8, shard: .init(rank: 0, count: 1)).batchCount == 3)
        #expect(DataLoader(x, y, batchSize: 7, shard: .init(rank: 1, count: 3)).batchCount == 3)
    }
}

@Suite struct DataParallelTests {
    @Test func theGradientHookSeesTheFinishedGradient() {
        var x = Tensor([1, 2, 3])
        x.requiresGrad = true
        let seen = Results<[Float]>(1)
        x.postAccumulateGradientHook = { seen.set(0, $0.scalars) }
        ((x * x).sum() + (x * 3).sum()).backward()   // x used twice: called once, with the sum
        #expect(seen.values[0] == [5, 7, 9])
        #expect(x.grad?.scalars == [5, 7, 9])
    }

    @Test("two and three ranks train the weights one process does", arguments: [(2, 32), (2, 33), (3, 40)])
    func ranksMatchOneProcess(_ ranks: Int, _ batchSize: Int) {
        let single = trainMLP(nil, batchSize: batchSize)
        let parallel = onRanks(ranks) { trainMLP($0, batchSize: batchSize) }
        for rank in parallel {
            #expect(maxDifference(rank.weights, single.weights) < 1e-5)
            #expect(rank.weights == parallel[0].weights, "ranks diverged")
            for key in ["loss", "accuracy", "val_loss", "val_accuracy"] {
                for (a, b) in zip(rank.history[key], single.history[key]) { #expect(abs(a - b) < 1e-5, "\(key): \(a) vs \(b)") }
            }
        }
        // The ranks started from different initial weights: rank 0's were broadcast.
        #expect(maxDifference(trainMLP(nil, batchSize: batchSize, epochs: 1).weights, single.weights) > 1e-3)
    }

    @Test func anEvenSplitOfABatchOverSixtyFourGivesTheSameBits() {
        // 200 examples in batches of 128 and 72: halves of 64 and 36, nodes of every batch sum's tree.
        let single = trainMLP(nil, batchSize: 128, epochs: 3)
        let parallel = onRanks(2) { trainMLP($0, batchSize: 128, epochs: 3) }
        #expect(parallel[0].weights == single.weights)
        #expect(parallel[1].weights == single.weights)
        // The logged loss is a mean of two half-batch means: the same to the last bit or so.
        for (a, b) in zip(parallel[0].history["loss"], single.history["loss"]) { #expect(abs(a - b) <= 1e-6 * abs(b)) }
    }

    @Test func aConvolutionalNetworkSplitInTwoGivesTheSameGradients() {
        @Sendable func network() -> Sequential {
            Random.withSeed(4) {
                Sequential {
                    Conv2D(1, 4, kernelSize: 3, padding: .same); ReLU(); MaxPool2D(2); Flatten()
                    Linear(4 * 4 * 4, 8); ReLU(); Linear(8, 3)
                }
            }
        }
        var g = RandomGenerator(seed: 2)
        let x = Tensor.uniform([96, 1, 8, 8], using: &g), y = Tensor(integers: (0..<96).map { $0 % 3 })
        let whole = network()
        crossEntropy(logits: whole(x), labels: y).backward()
        let halves = onRanks(2) { c -> [[Float]] in
            let net = network()
            let ddp = DistributedDataParallel(net, communicator: c)
            let rows = c.rank * 48..<(c.rank + 1) * 48
            ddp.backward(crossEntropy(logits: net(x[rows]), labels: y[rows]), examples: 48)
            return net.parameters.map { $0.grad!.scalars }
        }
        #expect(halves[0] == whole.parameters.map { $0.grad!.scalars })
        #expect(halves[1] == halves[0])
    }

    @Test func withoutOverlapAndInOneBucketTheStepsAreTheSame() {
        let overlapped = onRanks(2) { trainMLP($0, batchSize: 32, clipNorm: 0.5) }
        let serial = onRanks(2) { trainMLP($0, batchSize: 32, overlap: false, bucketCapacity: 1 << 20, clipNorm: 0.5) }
        #expect(overlapped[0].weights == serial[0].weights)
        #expect(maxDifference(overlapped[0].weights, trainMLP(nil, batchSize: 32, clipNorm: 0.5).weights) < 1e-5)
    }

    @Test func bucketsHoldTheParametersLastLayerFirst() {
        let network = Sequential { Linear(6, 16); Linear(16, 3) }
        let ddp = DistributedDataParallel(network, communicator: SingleProcessCommunicator(), bucketCapacity: 64)
        // 3 + 48 in the first bucket, then 16, then the 96 weights alone.
        #expect(ddp.bucketCount == 3)
    }

    @Test func aRankWithoutExamplesGetsTheOthersAverage() {
        let results = onRanks(2) { c -> ([Float], Float) in
            let p = Parameter(Tensor([1, 1]))
            let layer = Sequential { Linear(2, 1) }
            let ddp = DistributedDataParallel(layer, communicator: c)
            _ = p
            if c.rank == 0 {
                let loss = layer(Tensor([[1, 2]])).sum()
                let value = ddp.backward(loss, examples: 1)
                return (layer.parameters[0].grad!.scalars, value)
            }
            let value = ddp.backwardWithoutExamples()
            return (layer.parameters[0].grad!.scalars, value)
        }
        #expect(results[0].0 == [1, 2] && results[1].0 == [1, 2])
        #expect(results[0].1 == results[1].1)
    }

    @Test func statisticsCountTheSteps() {
        let stats = onRanks(2) { c -> DistributedDataParallel.Statistics in
            let layer = Linear(4, 2)
            let ddp = DistributedDataParallel(layer, communicator: c)
            for _ in 0..<3 { ddp.backward(layer(Tensor.ones([2, 4])).sum(), examples: 2) }
            let gradient = layer.parameters[0].grad!.scalars
            #expect(ddp.timeAllReduce(repetitions: 3) > 0)
            #expect(layer.parameters[0].grad!.scalars == gradient, "timing changed the gradients")
            return ddp.statistics
        }
        #expect(stats.allSatisfy { $0.steps == 3 && $0.exposedSeconds > 0 })
        #expect(stats[0].exposedSecondsPerStep == stats[0].exposedSeconds / 3)
    }
}
