import CPUBackend

/// What runs the kernels on this machine.
public enum Backend {
    /// `"blas"` when a system BLAS was loaded for matrix products, `"fallback"` otherwise.
    public static var blasName: String { BLAS.backendName }
    /// The BLAS library file that was loaded, if any.
    public static var blasLibrary: String? { BLAS.libraryName }
    /// The number of cores kernels split large work over.
    public static var coreCount: Int { Parallel.coreCount }
}
