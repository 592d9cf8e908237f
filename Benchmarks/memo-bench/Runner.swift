#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One row of the results: our figure beside its baseline, measured in the same run.
struct BenchmarkResult {
    enum Direction { case atMost, atLeast }

    var name: String
    var ours: Double
    var baseline: Double
    var unit: String
    /// `ours / baseline`, or the figure itself when there is no baseline.
    var ratio: Double
    var target: Double
    var direction: Direction
    var note: String = ""

    var met: Bool { direction == .atMost ? ratio <= target : ratio >= target }
    var targetText: String { (direction == .atMost ? "<= " : ">= ") + Report.number(target) }
}

/// Warm-up, then repeated runs; the median of each side is reported. Ours and the
/// baseline alternate run by run, so drift on a noisy machine hits both alike.
enum Measure {
    static let repetitions = 7

    /// Median seconds per call of `body`, which runs `iterations` times per sample.
    static func pair(
        iterations: Int, ours: () -> Void, baseline: () -> Void
    ) -> (ours: Double, baseline: Double) {
        ours()
        baseline()
        var oursSamples: [Double] = []
        var baselineSamples: [Double] = []
        for _ in 0..<repetitions {
            oursSamples.append(seconds(ours) / Double(iterations))
            baselineSamples.append(seconds(baseline) / Double(iterations))
        }
        return (median(oursSamples), median(baselineSamples))
    }

    static func seconds(_ body: () -> Void) -> Double {
        let start = ContinuousClock.now
        body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }
}

/// Keeps the optimizer from deleting a benchmark's work.
@inline(never)
func blackHole<T>(_ value: T) {
    withUnsafePointer(to: value) { _ = $0 }
}

/// The resident set size of this process, in bytes (Linux: /proc/self/statm).
func residentBytes() -> Int {
    guard let file = fopen("/proc/self/statm", "r") else { return 0 }
    defer { fclose(file) }
    var size = 0
    var resident = 0
    _ = withUnsafeMutablePointer(to: &size) { sizePointer in
        withUnsafeMutablePointer(to: &resident) { residentPointer in
            withVaList([sizePointer, residentPointer]) { vfscanf(file, "%ld %ld", $0) }
        }
    }
    return resident * Int(sysconf(Int32(_SC_PAGESIZE)))
}
