#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The system BLAS, found at run time with `dlopen` so that building needs nothing installed.
///
/// Search order: the library named by `DEEPLEARN_BLAS` (a path or file name), then OpenBLAS, BLIS
/// and MKL (Accelerate on macOS). `DEEPLEARN_BLAS=none` forces the portable Swift fallback.
///
/// The library is told to run on one thread: the framework splits work over the cores itself
/// (`Gemm.sgemm` cuts large products, convolutions give each core its own images), so there is
/// one thread pool in the process and no BLAS workers spinning while ours run.
public enum BLAS {
    typealias Sgemm = @convention(c) (
        Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
        UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32
    ) -> Void

    struct Library: @unchecked Sendable {
        let name: String
        let sgemm: Sgemm
    }

    static let library: Library? = load()

    /// `"blas"` when a system BLAS was loaded, `"fallback"` otherwise.
    public static var backendName: String { library == nil ? "fallback" : "blas" }

    /// The file name of the loaded library, or nil when the fallback is in use.
    public static var libraryName: String? { library?.name }

    static func load() -> Library? {
        var candidates: [String]
        #if canImport(Darwin)
        candidates = ["/System/Library/Frameworks/Accelerate.framework/Accelerate"]
        #else
        candidates = [
            "libopenblas.so.0", "libopenblas.so", "libblis.so.4", "libblis.so", "libmkl_rt.so.2",
            "libmkl_rt.so",
        ]
        #endif
        var requested: String?
        if let value = getenv("DEEPLEARN_BLAS").map({ String(cString: $0) }), !value.isEmpty {
            if value.lowercased() == "none" { return nil }
            requested = value
            candidates = [value]
        }
        for name in candidates {
            guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else { continue }
            if let symbol = dlsym(handle, "cblas_sgemm") {
                runOnOneThread(handle)
                return Library(name: name, sgemm: unsafeBitCast(symbol, to: Sgemm.self))
            }
            dlclose(handle)
        }
        if let requested {
            warn("DEEPLEARN_BLAS=\(requested.debugDescription) cannot be loaded or has no cblas_sgemm; "
                + "using the portable Swift matrix product (DEEPLEARN_BLAS=none chooses it without this warning)")
        }
        return nil
    }

    /// Sets the library's own thread count to 1 through whichever entry point it has.
    static func runOnOneThread(_ handle: UnsafeMutableRawPointer) {
        typealias SetThreads = @convention(c) (Int32) -> Void
        typealias SetThreadsBLIS = @convention(c) (Int) -> Void  // BLIS takes a dim_t.
        if let function = dlsym(handle, "bli_thread_set_num_threads") {
            unsafeBitCast(function, to: SetThreadsBLIS.self)(1)
            return
        }
        for symbol in ["openblas_set_num_threads", "MKL_Set_Num_Threads"] {
            if let function = dlsym(handle, symbol) {
                unsafeBitCast(function, to: SetThreads.self)(1)
                return
            }
        }
    }
}
