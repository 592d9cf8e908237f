import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// JSON for scripts: sorted keys, pretty-printed, times as ISO 8601 strings in UTC.
enum JSONOutput {
    /// Prints `value` as JSON on stdout.
    static func print<Value: Encodable>(_ value: Value) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        Swift.print(String(decoding: data, as: UTF8.self))
    }

    /// A time since the Unix epoch as ISO 8601 with milliseconds: "2026-11-25T14:50:54.120Z".
    static func timestamp(_ time: Duration) -> String {
        let (seconds, attoseconds) = time.components
        var wholeSeconds = time_t(seconds)
        var parts = tm()
        gmtime_r(&wholeSeconds, &parts)
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1, 2))-"
            + "\(pad(Int(parts.tm_mday), 2))T\(pad(Int(parts.tm_hour), 2)):"
            + "\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2))."
            + "\(pad(Int(attoseconds / 1_000_000_000_000_000), 3))Z"
    }
}
