/// Cache events and size changes not yet reported to metrics: kept by the cache's state
/// under its lock, reported after the lock is released (see `SpillingCache.withState`).
struct MetricEvents {
    var spills = 0
    var evictions = 0
    var expirations = 0
    var failures = 0
    /// Whether a size changed: the gauges are recorded again.
    var sizesChanged = false
    /// The sizes when the events were taken: memory bytes, disk bytes, entries.
    var sizes: (memoryBytes: Int, diskBytes: Int, entries: Int)?

    var isPending: Bool {
        sizesChanged || spills != 0 || evictions != 0 || expirations != 0 || failures != 0
    }
}
