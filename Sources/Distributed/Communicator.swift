import Foundation
import TensorCore

/// The processes of one data-parallel run and the collective operations between them, over
/// float32 buffers (MPI's `MPI_Comm`, PyTorch's process group).
///
/// Every process calls the same collectives in the same order; each call returns once all have
/// made it. `rank` is this process's place in `0..<size`; rank 0 is the one that prints and writes
/// checkpoints. Implementations: `MPICommunicator` (processes started by `mpirun`, over the system's
/// Open MPI loaded at run time), `LocalCommunicator` (threads of one process, for tests) and
/// `SingleProcessCommunicator` (a group of one).
public protocol Communicator: AnyObject, Sendable {
    var rank: Int { get }
    var size: Int { get }
    /// Replaces `buffer` on every rank with the element-wise sum over the ranks, the same on
    /// every rank (`MPI_Allreduce` with `MPI_SUM`).
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>)
    /// Replaces `buffer` on every rank with rank `root`'s (`MPI_Bcast`).
    func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int)
    /// Fills `result` (`size` times `contribution.count` elements) with every rank's
    /// contribution in rank order (`MPI_Allgather`).
    func allGather(_ contribution: UnsafeBufferPointer<Float>, into result: UnsafeMutableBufferPointer<Float>)
    /// Returns once every rank has called it (`MPI_Barrier`).
    func barrier()
}

/// How collectives combine the ranks' values.
public enum ReduceOperation: Sendable {
    case sum, mean
}

extension Communicator {
    /// Whether this is rank 0, the process that prints and writes files.
    public var isPrimary: Bool { rank == 0 }

    /// `tensor` summed (or averaged) over the ranks. Shape: that of `tensor`.
    public func allReduce(_ tensor: Tensor, _ operation: ReduceOperation = .sum) -> Tensor {
        Tensor(allReduce(tensor.detached().scalars, operation), shape: tensor.shape)
    }

    /// The element-wise sums over the ranks of `values`.
    public func allReduce(_ values: [Float], _ operation: ReduceOperation = .sum) -> [Float] {
        var values = values
        values.withUnsafeMutableBufferPointer { allReduceSum($0) }
        return operation == .mean ? values.map { $0 / Float(size) } : values
    }

    /// Rank `root`'s `tensor`, on every rank. Every rank passes a tensor of the same shape.
    public func broadcast(_ tensor: Tensor, root: Int = 0) -> Tensor {
        require((0..<size).contains(root), "broadcast: root \(root) is not a rank of 0..<\(size)")
        var values = tensor.detached().scalars
        values.withUnsafeMutableBufferPointer { broadcast($0, root: root) }
        return Tensor(values, shape: tensor.shape)
    }

    /// Stops unless `result` holds `size` contributions: `allGather`'s precondition.
    func requireGatherSizes(_ contribution: UnsafeBufferPointer<Float>, _ result: UnsafeMutableBufferPointer<Float>) {
        require(result.count == contribution.count * size,
                "allGather: result holds \(result.count) elements, expected \(contribution.count * size)")
    }

    /// Every rank's `tensor` stacked in rank order: shape `[size] + tensor.shape`.
    public func allGather(_ tensor: Tensor) -> Tensor {
        let values = tensor.detached().scalars
        var result = [Float](repeating: 0, count: values.count * size)
        values.withUnsafeBufferPointer { send in result.withUnsafeMutableBufferPointer { allGather(send, into: $0) } }
        return Tensor(result, shape: Shape([size] + tensor.shape.dimensions))
    }
}

/// A group of one process: every collective returns its input. What a run without
/// `--distributed` amounts to.
public final class SingleProcessCommunicator: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) {}
    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int) {}
    public func allGather(_ contribution: UnsafeBufferPointer<Float>, into result: UnsafeMutableBufferPointer<Float>) {
        requireGatherSizes(contribution, result)
        _ = result.initialize(from: contribution)
    }
    public func barrier() {}
}

/// `size` ranks that are threads of this process, meeting in shared memory: data-parallel
/// training tested without MPI. Make the group with `LocalCommunicator.group(size:)` and hand
/// one communicator to each thread.
///
/// Sums run in rank order, so every rank gets the same bits.
public final class LocalCommunicator: Communicator, @unchecked Sendable {
    public let rank: Int
    public var size: Int { shared.size }
    private let shared: Shared

    /// The communicators of a new group, rank 0 first.
    public static func group(size: Int) -> [LocalCommunicator] {
        require(size >= 1, "LocalCommunicator.group: size must be at least 1, got \(size)")
        let shared = Shared(size: size)
        return (0..<size).map { LocalCommunicator(rank: $0, shared: shared) }
    }

    private init(rank: Int, shared: Shared) {
        self.rank = rank
        self.shared = shared
    }

    /// What the ranks share: one slot each and a reusable barrier.
    private final class Shared: @unchecked Sendable {
        let size: Int
        var slots: [[Float]]
        let condition = NSCondition()
        var arrived = 0, generation = 0

        init(size: Int) {
            self.size = size
            slots = Array(repeating: [], count: size)
        }

        func barrier() {
            condition.lock()
            defer { condition.unlock() }
            let mine = generation
            arrived += 1
            if arrived == size {
                arrived = 0
                generation += 1
                condition.broadcast()
            } else {
                while generation == mine { condition.wait() }
            }
        }
    }

    /// Puts this rank's values in its slot, waits for all, runs `read` over every slot, and waits
    /// again so that no slot is overwritten while another rank reads it.
    private func exchange(_ values: [Float], read: ([[Float]]) -> Void) {
        shared.condition.lock()
        shared.slots[rank] = values
        shared.condition.unlock()
        shared.barrier()
        shared.condition.lock()
        let slots = shared.slots
        shared.condition.unlock()
        read(slots)
        shared.barrier()
    }

    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) {
        exchange(Array(buffer)) { slots in
            for i in 0..<buffer.count {
                var sum = slots[0][i]
                for r in 1..<slots.count { sum += slots[r][i] }
                buffer[i] = sum
            }
        }
    }

    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int) {
        exchange(rank == root ? Array(buffer) : []) { slots in
            for i in 0..<buffer.count { buffer[i] = slots[root][i] }
        }
    }

    public func allGather(_ contribution: UnsafeBufferPointer<Float>, into result: UnsafeMutableBufferPointer<Float>) {
        requireGatherSizes(contribution, result)
        exchange(Array(contribution)) { slots in
            for (r, slot) in slots.enumerated() {
                for i in 0..<slot.count { result[r * contribution.count + i] = slot[i] }
            }
        }
    }

    public func barrier() { shared.barrier() }
}
