import Dispatch
import Foundation
import Layers
import TensorCore

/// Data-parallel training of one network over the ranks of a `Communicator` (PyTorch's
/// `DistributedDataParallel`, Horovod): every rank holds the same weights, runs its share of each
/// batch, and before each optimizer step every rank's gradients are replaced by their average over
/// all the ranks' examples, so that every rank takes the same step.
///
/// - Making it broadcasts rank 0's parameters and buffers, so all ranks start from the same weights.
/// - `backward(_:examples:)` replaces `loss.backward()`: as the walk finishes each parameter's
///   gradient (`postAccumulateGradientHook`), the gradients are gathered into buckets of about
///   `bucketCapacity` elements, last layer first, and each full bucket is all-reduced on a
///   communication thread while the rest of backward runs. Buckets are reduced in a fixed order,
///   the same on every rank, as MPI requires.
/// - Each rank's gradient weighs by its share of the step's examples, so a batch split 56/56 or
///   57/56 gives the gradient of the whole batch's mean loss, as one process would compute it.
///
/// ```swift
/// let ddp = DistributedDataParallel(network, communicator: try MPICommunicator.world())
/// let loss = crossEntropy(logits: network(x), labels: y)   // x: this rank's share of the batch
/// optimizer.zeroGrad()
/// ddp.backward(loss, examples: x.shape[0])
/// optimizer.step()                                          // the same step on every rank
/// ```
///
/// Batch normalization uses each rank's own batch statistics (PyTorch's default without
/// `SyncBatchNorm`); `synchronizeBuffers()` copies rank 0's running statistics to the others.
public final class DistributedDataParallel: @unchecked Sendable {
    public let communicator: any Communicator
    /// The network's trainable parameters, whose gradients are averaged.
    public let parameters: [Parameter]
    /// Every parameter and buffer, broadcast from rank 0.
    private let allParameters: [Parameter]
    /// Whether buckets are reduced during backward (true) or all after it; every rank must
    /// have the same setting.
    public var overlap: Bool
    private let buckets: [Bucket]
    private let bucketOf: [Int]
    private let queue = CommunicationThread()
    private let inFlight = DispatchGroup()

    // One step's state. The hooks run on the thread calling `backward`; the communication thread
    // writes `reduced` and `lossSum`, read after `inFlight.wait()`.
    private var gradients: [Tensor?]
    private var readyCounts: [Int]
    private var nextLaunch = 0
    /// This rank's share of the step's examples (its gradients' weight), and its loss times that.
    private var share: Float = 0, weightedLoss: Float = 0
    private var reduced: [Tensor?]
    private var total: Float = 1, lossSum: Float = 0

    /// How long the steps waited for the gradient all-reduce.
    public struct Statistics: Sendable {
        /// Steps synchronized so far.
        public var steps = 0
        /// Seconds from the end of each step's backward walk until its gradients were averaged:
        /// the communication the step paid for (with `overlap`, what backward did not hide).
        public var exposedSeconds = 0.0
        public init() {}

        /// `exposedSeconds` per step (0 before the first).
        public var exposedSecondsPerStep: Double { steps > 0 ? exposedSeconds / Double(steps) : 0 }
    }
    public private(set) var statistics = Statistics()

    /// Gradients of consecutive parameters, reduced as one buffer.
    struct Bucket {
        var members: [Int] = []
        var offsets: [Int] = []
        var count = 0
    }

    /// Wraps `network` for data-parallel training over `communicator`: broadcasts rank 0's
    /// parameters and buffers. Every rank makes its network the same way, so that the
    /// parameters line up.
    ///
    /// - Parameters:
    ///   - bucketCapacity: elements per bucket (a parameter larger than it gets its own).
    ///   - overlap: reduce buckets while backward runs; false reduces them all after it.
    public init(_ network: any Layer, communicator: any Communicator, bucketCapacity: Int = 1 << 16, overlap: Bool = true) {
        require(bucketCapacity > 0, "DistributedDataParallel: bucketCapacity must be positive, got \(bucketCapacity)")
        self.communicator = communicator
        self.overlap = overlap
        allParameters = network.parameters
        parameters = allParameters.filter(\.isTrainable)
        // Last parameters first: backward finishes them first.
        var buckets: [Bucket] = [], current = Bucket()
        var bucketOf = [Int](repeating: 0, count: parameters.count)
        for i in parameters.indices.reversed() {
            let n = parameters[i].shape.elementCount
            if current.count > 0 && current.count + n > bucketCapacity {
                buckets.append(current)
                current = Bucket()
            }
            bucketOf[i] = buckets.count
            current.members.append(i)
            current.offsets.append(current.count)
            current.count += n
        }
        if !current.members.isEmpty { buckets.append(current) }
        (self.buckets, self.bucketOf) = (buckets, bucketOf)
        gradients = Array(repeating: nil, count: parameters.count)
        reduced = gradients
        readyCounts = Array(repeating: 0, count: buckets.count)
        broadcastParameters()
    }

    /// The number of buckets the gradients are reduced in.
    public var bucketCount: Int { buckets.count }

    /// Replaces every parameter and buffer with rank 0's (at the start, and after loading a
    /// checkpoint on one rank).
    public func broadcastParameters() {
        broadcast(allParameters)
    }

    /// Replaces the buffers (batch norm's running statistics) with rank 0's: before evaluating
    /// or saving, so that every rank's network is rank 0's.
    public func synchronizeBuffers() {
        broadcast(allParameters.filter(\.isBuffer))
    }

    private func broadcast(_ parameters: [Parameter]) {
        guard communicator.size > 1, !parameters.isEmpty else { return }
        var flat = [Float]()
        flat.reserveCapacity(parameters.reduce(0) { $0 + $1.shape.elementCount })
        for p in parameters { flat += p.value.detached().scalars }
        flat.withUnsafeMutableBufferPointer { communicator.broadcast($0, root: 0) }
        var offset = 0
        withoutGradients {
            for p in parameters {
                let n = p.shape.elementCount
                p.updateInPlace { value in
                    value.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: flat[offset..<offset + n]) }
                }
                offset += n
            }
        }
    }

    /// `loss.backward()` with every trainable parameter's gradient then the average over all
    /// ranks, each rank weighing by `examples`, its share of the step's examples (1 on every rank:
    /// the plain mean over ranks). Every rank calls it once per step. `totalExamples`, the sum of
    /// `examples` over the ranks, saves a small all-reduce when the caller knows it (as `fit`
    /// does: the batch size); every rank must pass it or none.
    ///
    /// Returns the mean of `loss` (a scalar) over the ranks, weighted the same way: the loss of
    /// the whole step's batch.
    @discardableResult
    public func backward(_ loss: Tensor, examples: Int = 1, totalExamples: Int? = nil) -> Float {
        require(examples >= 0 && (totalExamples.map { $0 >= examples } ?? true),
                "DistributedDataParallel.backward: examples \(examples) must be >= 0 and at most totalExamples \(totalExamples ?? 0)")
        begin(examples: examples, total: totalExamples, loss: loss.scalar)
        for (i, p) in parameters.enumerated() {
            p.value.postAccumulateGradientHook = overlap ? { [unowned self] g in self.ready(i, g) } : nil
        }
        defer { for p in parameters { p.value.postAccumulateGradientHook = nil } }
        loss.backward()
        if !overlap { for (i, p) in parameters.enumerated() { gradients[i] = p.grad } }
        return finish()
    }

    /// A step in which this rank has no examples: it contributes nothing, and receives the
    /// average of the others' gradients. Returns the step's loss, as `backward` does.
    @discardableResult
    public func backwardWithoutExamples() -> Float {
        begin(examples: 0, total: nil, loss: 0)
        return finish()
    }

    /// Resets the step's state, and learns the step's example count over all ranks (given, or
    /// one small all-reduce before backward starts), so that each bucket is packed already
    /// weighted: for an even split the weight is 1/2, 1/4..., exact, and the sum is the
    /// one-process gradient's bits.
    private func begin(examples: Int, total given: Int?, loss: Float) {
        for i in gradients.indices { (gradients[i], reduced[i]) = (nil, nil) }
        for b in readyCounts.indices { readyCounts[b] = 0 }
        nextLaunch = 0
        total = given.map(Float.init) ?? communicator.allReduce([Float(examples)])[0]
        share = total > 0 ? Float(examples) / total : 0
        weightedLoss = examples > 0 ? loss * share : 0
    }

    /// A parameter's gradient is complete: launch every bucket, in order, that now is.
    private func ready(_ index: Int, _ gradient: Tensor) {
        gradients[index] = gradient
        readyCounts[bucketOf[index]] += 1
        launchBuckets(all: false)
    }

    /// Launches, in order, the buckets not launched yet: while each has all its gradients, or
    /// (`all`) every one.
    private func launchBuckets(all: Bool) {
        while nextLaunch < buckets.count && (all || readyCounts[nextLaunch] == buckets[nextLaunch].members.count) {
            launch(nextLaunch)
            nextLaunch += 1
        }
    }

    /// Launches the buckets left and waits until every bucket is reduced.
    private func reduceRemaining() {
        launchBuckets(all: true)
        inFlight.wait()
    }

    private func finish() -> Float {
        let start = ContinuousClock.now
        reduceRemaining()
        statistics.exposedSeconds += (ContinuousClock.now - start).inSeconds
        statistics.steps += 1
        for (i, p) in parameters.enumerated() { p.grad = reduced[i] }
        return total > 0 ? lossSum : .nan
    }

    /// Packs bucket `b` (each gradient times this rank's share of the examples; a gradient that
    /// did not come, zeros), all-reduces it on the communication thread, and unpacks the sum.
    /// Bucket 0 also carries the weighted loss.
    private func launch(_ b: Int) {
        let bucket = buckets[b]
        let members = bucket.members.map { (index: $0, gradient: gradients[$0], shape: parameters[$0].shape) }
        let extras = b == 0 ? [weightedLoss] : []
        let weight = share
        inFlight.enter()
        queue.run { [self] in
            defer { inFlight.leave() }
            if extras.isEmpty, members.count == 1, let g = members[0].gradient {
                // One parameter: weighted into a tensor of its own, reduced where it lies.
                var own = Tensor(shape: g.shape) { dst in
                    g.withUnsafeBufferPointer { src in for j in 0..<src.count { dst[j] = src[j] * weight } }
                }
                own.withUnsafeMutableBufferPointer { communicator.allReduceSum($0) }
                reduced[members[0].index] = own
                return
            }
            var buffer = [Float](repeating: 0, count: bucket.count + extras.count)
            buffer.withUnsafeMutableBufferPointer { flat in
                for (member, offset) in zip(members, bucket.offsets) {
                    guard let g = member.gradient else { continue }
                    g.withUnsafeBufferPointer { src in
                        for j in 0..<src.count { flat[offset + j] = src[j] * weight }
                    }
                }
                for (j, value) in extras.enumerated() { flat[bucket.count + j] = value }
                communicator.allReduceSum(flat)
            }
            if b == 0 { lossSum = buffer[bucket.count] }
            for (member, offset) in zip(members, bucket.offsets) {
                reduced[member.index] = Tensor(shape: member.shape) { dst in
                    _ = dst.update(fromContentsOf: buffer[offset..<offset + dst.count])
                }
            }
        }
    }

    /// Seconds one step's gradient all-reduce takes on its own (packing, reducing, unpacking
    /// every bucket, nothing else running): the median over `repetitions`, each after a barrier.
    /// The parameters' current gradients are used and left as they were. Every rank calls it.
    public func timeAllReduce(repetitions: Int = 20) -> Double {
        require(repetitions > 0, "timeAllReduce: repetitions must be positive, got \(repetitions)")
        let kept = parameters.map(\.grad)
        defer { for (p, g) in zip(parameters, kept) { p.grad = g } }
        var times: [Double] = []
        for _ in 0..<repetitions {
            begin(examples: 1, total: communicator.size, loss: 0)
            for i in gradients.indices { gradients[i] = kept[i] }
            communicator.barrier()
            let start = ContinuousClock.now
            reduceRemaining()
            times.append((ContinuousClock.now - start).inSeconds)
        }
        return times.sorted()[times.count / 2]
    }
}

/// The thread the gradient all-reduces run on, in the order they are handed over. It runs at the
/// lowest priority (nice 19): on a rank whose cores are all computing, its packing and MPI's
/// busy wait for the other ranks take only what backward leaves idle, instead of half a core
/// (measured: the overlapped epoch was 5% slower than the serial one at normal priority).
final class CommunicationThread: @unchecked Sendable {
    /// What the thread shares with its owner; the thread holds it, not the owner, and ends
    /// when the owner goes.
    private final class Work: @unchecked Sendable {
        let condition = NSCondition()
        var items: [() -> Void] = []
        var finished = false
    }
    private let work = Work()

    init() {
        let thread = Thread { [work] in
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)   // Linux: this thread only
            while true {
                work.condition.lock()
                while work.items.isEmpty && !work.finished { work.condition.wait() }
                if work.items.isEmpty {
                    work.condition.unlock()
                    return
                }
                let next = work.items.removeFirst()
                work.condition.unlock()
                next()
            }
        }
        thread.name = "DistributedDataParallel communication"
        thread.start()
    }

    deinit {
        work.condition.lock()
        work.finished = true
        work.condition.signal()
        work.condition.unlock()
    }

    /// Runs `body` on the thread after everything handed over before it.
    func run(_ body: @escaping () -> Void) {
        work.condition.lock()
        work.items.append(body)
        work.condition.signal()
        work.condition.unlock()
    }
}
