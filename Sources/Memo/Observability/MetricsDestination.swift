public import CoreMetrics

/// Where a cache reports its metrics (``CacheConfiguration/metrics``).
public enum MetricsDestination: Sendable {
    /// swift-metrics' `MetricsSystem.factory` when the cache is created: whatever backend
    /// the program bootstrapped, or swift-metrics' no-op handlers when none.
    case system
    /// A factory of its own, such as `MetricsTestKit`'s `TestMetrics`.
    case factory(any MetricsFactory)
    /// No metrics at all: not even no-op handlers are called.
    case off
}
