#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A progress line on stderr for long runs: only on a terminal, only past a few thousand
/// items, redrawn at most ten times a second, erased when done.
struct ProgressLine {
    /// Runs over fewer items than this finish before a line would help.
    static let threshold = 2_000

    let label: String
    private let enabled = isatty(STDERR_FILENO) == 1
    private var lastDrawn: Int64 = 0
    private var shown = false

    init(label: String) {
        self.label = label
    }

    mutating func update(done: Int, total: Int) {
        guard enabled, total > Self.threshold else { return }
        let now = Int64(monotonicMilliseconds())
        guard now - lastDrawn >= 100 || done == total else { return }
        lastDrawn = now
        shown = true
        let percent = total == 0 ? 100 : done * 100 / total
        write(
            "\r\(label): \(HumanFormat.count(done)) of \(HumanFormat.count(total)) files (\(percent)%)\u{1B}[K"
        )
    }

    /// Erases the line.
    mutating func finish() {
        guard shown else { return }
        write("\r\u{1B}[K")
        shown = false
    }

    private func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in _ = systemWrite(STDERR_FILENO, bytes.baseAddress, bytes.count) }
    }
}

/// Milliseconds on the monotonic clock.
private func monotonicMilliseconds() -> Int {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return time.tv_sec * 1000 + time.tv_nsec / 1_000_000
}

/// write(2), outside the type, whose own `write` would shadow it.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafePointer<UInt8>?, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}
