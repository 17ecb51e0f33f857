#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import TensorCore

/// The ranks of a job started by `mpirun`, over the system's Open MPI (`libmpi.so.40`, from
/// Debian's `openmpi-bin`), found at run time with `dlopen` as the BLAS is: building needs nothing
/// installed, and a run without `--distributed` never loads it.
///
/// Open MPI's handles (`MPI_COMM_WORLD`, `MPI_FLOAT`, `MPI_SUM`) are the addresses of exported
/// objects (`ompi_mpi_comm_world`...), so `dlsym` gives them. MPICH, whose handles are integers
/// from its header, is not supported.
///
/// A collective that waits longer than `timeout` seconds for the other ranks (one has died or
/// hangs) ends the job: one line on stderr naming the wait, then `MPI_Abort`, after which
/// `mpirun` stops every rank. `DEEPLEARN_DISTRIBUTED_TIMEOUT` sets it (default 120 s).
public final class MPICommunicator: Communicator, @unchecked Sendable {
    public let rank: Int
    public let size: Int
    /// Seconds a collective may wait before the job is ended.
    public let timeout: Double
    private let mpi: Library
    /// One collective at a time, in the order they were asked for (MPI_THREAD_SERIALIZED).
    private let lock = NSLock()
    /// What is being waited for and since when, for the watchdog.
    private let watch = Watch()

    /// Why the communicator cannot be made.
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    /// The one communicator of this process: MPI may be initialized only once.
    public static func world() throws -> MPICommunicator {
        try shared.get()
    }

    private static let shared: Result<MPICommunicator, Unavailable> = Result { try MPICommunicator() }
        .mapError { $0 as? Unavailable ?? Unavailable(description: "\($0)") }

    /// Whether this process was started by Open MPI's `mpirun` (its environment says so).
    public static var isUnderMPIRun: Bool { getenv("OMPI_COMM_WORLD_SIZE") != nil }

    private init() throws {
        timeout = try Self.timeoutSetting()
        mpi = try Library.load()
        var provided: Int32 = 0
        try mpi.check(mpi.initThread(nil, nil, Library.threadSerialized, &provided), "MPI_Init_thread")
        guard provided >= Library.threadSerialized else {
            throw Unavailable(description: "this MPI library cannot be called from a communication thread (thread level \(provided)); "
                + "Open MPI 4 built with thread support is needed")
        }
        var value: Int32 = 0
        try mpi.check(mpi.commRank(mpi.world, &value), "MPI_Comm_rank")
        rank = Int(value)
        try mpi.check(mpi.commSize(mpi.world, &value), "MPI_Comm_size")
        size = Int(value)
        startWatchdog()
    }

    static func timeoutSetting() throws -> Double {
        guard let raw = getenv("DEEPLEARN_DISTRIBUTED_TIMEOUT").map({ String(cString: $0) }), !raw.isEmpty else { return 120 }
        guard let seconds = Double(raw), seconds.isFinite, (1...86_400).contains(seconds) else {
            throw Unavailable(description: "DEEPLEARN_DISTRIBUTED_TIMEOUT=\(raw.debugDescription) is not a number of seconds in 1...86400")
        }
        return seconds
    }

    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) {
        collective("all-reduce", count: buffer.count) {
            mpi.allreduce(Library.inPlace, buffer.baseAddress, Int32(buffer.count), mpi.float, mpi.sum, mpi.world)
        }
    }

    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int) {
        collective("broadcast", count: buffer.count) {
            mpi.bcast(buffer.baseAddress, Int32(buffer.count), mpi.float, Int32(root), mpi.world)
        }
    }

    public func allGather(_ contribution: UnsafeBufferPointer<Float>, into result: UnsafeMutableBufferPointer<Float>) {
        requireGatherSizes(contribution, result)
        collective("all-gather", count: result.count) {
            mpi.allgather(contribution.baseAddress, Int32(contribution.count), mpi.float, result.baseAddress,
                          Int32(contribution.count), mpi.float, mpi.world)
        }
    }

    public func barrier() {
        collective("barrier", count: 0) { mpi.barrier(mpi.world) }
    }

    /// Ends MPI for this process; every rank calls it once, after its last collective, before
    /// exiting with success (`mpirun` reports a rank that exits 0 without it).
    public func finalize() {
        lock.lock()
        defer { lock.unlock() }
        watch.stop()
        _ = mpi.finalize()
    }

    /// Ends every rank of the job (`MPI_Abort`) after printing `message` on one line.
    public func abort(_ message: String) -> Never {
        FileHandle.standardError.write(Data("deeplearn: \(message)\n".utf8))
        _ = mpi.abort(mpi.world, 1)
        exit(1)
    }

    private func collective(_ name: String, count: Int, _ call: () -> Int32) {
        require(count <= Int(Int32.max), "\(name): \(count) elements is more than one MPI call takes")
        lock.lock()
        defer { lock.unlock() }
        watch.begin(name)
        let code = call()
        watch.end()
        if code != 0 { abort("rank \(rank): MPI \(name) failed with error code \(code)") }
    }

    /// A thread that ends the job when a collective waits past `timeout`. A wake much later
    /// than asked means this process itself was stopped (SIGSTOP, a suspended terminal): that
    /// round is skipped, so that a process let go again does not blame the others.
    private func startWatchdog() {
        let interval = Swift.min(1, timeout / 4)
        let thread = Thread { [unowned self] in
            var lastWake = ContinuousClock.now
            while true {
                Thread.sleep(forTimeInterval: interval)
                let now = ContinuousClock.now
                defer { lastWake = now }
                guard (now - lastWake).inSeconds < 3 * interval + 0.5 else { continue }
                guard let (name, number, since) = self.watch.current() else { continue }
                let waited = (now - since).inSeconds
                guard waited > self.timeout else { continue }
                let others = self.size == 2 ? "rank \(1 - self.rank) has stopped or hangs"
                                            : "another of the \(self.size) ranks has stopped or hangs"
                self.abort("rank \(self.rank): waited \(Int(waited)) s in \(name) #\(number) for the other ranks: \(others) "
                    + "(DEEPLEARN_DISTRIBUTED_TIMEOUT=\(Int(self.timeout)))")
            }
        }
        thread.name = "MPI watchdog"
        thread.start()
    }

    /// The collective in flight, read by the watchdog thread.
    private final class Watch: @unchecked Sendable {
        private let lock = NSLock()
        private var name: String?, since = ContinuousClock.now, count = 0, stopped = false

        func begin(_ name: String) {
            lock.lock(); defer { lock.unlock() }
            (self.name, since) = (name, ContinuousClock.now)
            count += 1
        }
        func end() {
            lock.lock(); defer { lock.unlock() }
            name = nil
        }
        func stop() {
            lock.lock(); defer { lock.unlock() }
            (name, stopped) = (nil, true)
        }
        func current() -> (String, Int, ContinuousClock.Instant)? {
            lock.lock(); defer { lock.unlock() }
            return stopped ? nil : name.map { ($0, count, since) }
        }
    }

    /// The entry points and handles of the loaded library.
    struct Library {
        typealias Handle = UnsafeMutableRawPointer
        typealias InitThread = @convention(c) (UnsafeMutablePointer<Int32>?, UnsafeMutableRawPointer?, Int32, UnsafeMutablePointer<Int32>) -> Int32
        typealias CommQuery = @convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32
        typealias Allreduce = @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Handle) -> Int32
        typealias Bcast = @convention(c) (UnsafeMutableRawPointer?, Int32, Handle, Int32, Handle) -> Int32
        typealias Allgather = @convention(c) (UnsafeRawPointer?, Int32, Handle, UnsafeMutableRawPointer?, Int32, Handle, Handle) -> Int32
        typealias Barrier = @convention(c) (Handle) -> Int32
        typealias Finalize = @convention(c) () -> Int32
        typealias Abort = @convention(c) (Handle, Int32) -> Int32

        static let threadSerialized: Int32 = 2   // MPI_THREAD_SERIALIZED in Open MPI's mpi.h
        static var inPlace: UnsafeRawPointer? { UnsafeRawPointer(bitPattern: 1) }   // MPI_IN_PLACE: (void *) 1

        let initThread: InitThread, commRank: CommQuery, commSize: CommQuery, allreduce: Allreduce, bcast: Bcast
        let allgather: Allgather, barrier: Barrier, finalize: Finalize, abort: Abort
        let world: Handle, float: Handle, sum: Handle

        static func load() throws -> Library {
            // RTLD_GLOBAL: Open MPI's own plugins, which it opens in turn, look up libmpi's symbols.
            let name = "libmpi.so.40"
            guard let handle = dlopen(name, RTLD_NOW | RTLD_GLOBAL) else {
                throw Unavailable(description: "--distributed needs Open MPI, and \(name) cannot be loaded "
                    + "(apt-get install openmpi-bin; then run with mpirun -np N)")
            }
            func symbol(_ name: String) throws -> UnsafeMutableRawPointer {
                guard let address = dlsym(handle, name) else {
                    throw Unavailable(description: "\(name) is missing from libmpi.so.40: not an Open MPI library")
                }
                return address
            }
            func function<F>(_ name: String) throws -> F { unsafeBitCast(try symbol(name), to: F.self) }
            return Library(
                initThread: try function("MPI_Init_thread"), commRank: try function("MPI_Comm_rank"),
                commSize: try function("MPI_Comm_size"), allreduce: try function("MPI_Allreduce"), bcast: try function("MPI_Bcast"),
                allgather: try function("MPI_Allgather"), barrier: try function("MPI_Barrier"), finalize: try function("MPI_Finalize"),
                abort: try function("MPI_Abort"),
                world: try symbol("ompi_mpi_comm_world"), float: try symbol("ompi_mpi_float"), sum: try symbol("ompi_mpi_op_sum"))
        }

        func check(_ code: Int32, _ call: String) throws {
            guard code == 0 else { throw Unavailable(description: "\(call) failed with MPI error code \(code)") }
        }
    }
}
