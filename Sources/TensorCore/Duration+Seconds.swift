extension Duration {
    /// The duration in seconds (`ContinuousClock` differences: epoch timers, benchmarks, waits).
    public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
