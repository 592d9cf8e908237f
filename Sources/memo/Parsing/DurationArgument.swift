/// A duration on the command line: a number and a unit, "30s", "15m", "12h", "7d", "2w".
enum DurationArgument {
    private static let units: [(names: [String], seconds: Double)] = [
        (["s", "sec", "secs", "second", "seconds"], 1),
        (["m", "min", "mins", "minute", "minutes"], 60),
        (["h", "hr", "hrs", "hour", "hours"], 3600),
        (["d", "day", "days"], 86_400),
        (["w", "week", "weeks"], 604_800),
    ]

    /// Parses `text`.
    ///
    /// - Throws: ``ToolError/badArgument(_:)`` saying what was wrong and what is accepted.
    static func parse(_ text: String, option: String) throws(ToolError) -> Duration {
        func refuse(_ problem: String) -> ToolError {
            .badArgument(
                "invalid duration \"\(text)\" for \(option): \(problem); expected a number and "
                    + "a unit s, m, h, d or w, such as \"30s\", \"15m\", \"12h\" or \"7d\"")
        }
        let trimmed = text.trimmingSpaces()
        let number = trimmed.prefix { $0.isNumber || $0 == "." }
        let unit = trimmed.dropFirst(number.count).trimmingSpaces().lowercased()
        guard !number.isEmpty, let value = Double(number) else {
            throw refuse(trimmed.isEmpty ? "it is empty" : "it does not start with a number")
        }
        guard !unit.isEmpty else { throw refuse("it has no unit") }
        guard let scale = units.first(where: { $0.names.contains(unit) })?.seconds else {
            throw refuse("unknown unit \"\(unit)\"")
        }
        let seconds = value * scale
        guard seconds.isFinite, seconds < 1e12 else { throw refuse("it is too long") }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }
}

extension StringProtocol {
    /// The text without spaces at either end.
    func trimmingSpaces() -> String {
        String(String(drop { $0 == " " }.reversed().drop { $0 == " " }).reversed())
    }
}
