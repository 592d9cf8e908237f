/// The error ``ByteCount/init(parsing:)`` throws: which text, what was wrong, and what is
/// accepted.
public struct ByteCountParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong with the text.
    public enum Reason: Sendable, Equatable {
        /// The text was empty or only spaces.
        case empty
        /// No decimal number where one was expected (`"abc"`, `"nan GB"`, `"1.2.3"`).
        case notANumber
        /// A minus sign: sizes are never negative.
        case negative
        /// A unit that is not one of B, KB, MB, GB, TB, KiB, MiB, GiB, TiB.
        case unknownUnit(String)
        /// More bytes than `Int` holds.
        case overflow
    }

    /// The text that failed to parse.
    public let text: String
    /// What was wrong with it.
    public let reason: Reason

    /// An error for `text`, failing for `reason`.
    public init(text: String, reason: Reason) {
        self.text = text
        self.reason = reason
    }

    /// A sentence naming the text, the problem and the accepted forms.
    public var description: String {
        let problem: String
        switch reason {
        case .empty: problem = "it is empty"
        case .notANumber: problem = "it does not start with a decimal number"
        case .negative: problem = "sizes cannot be negative"
        case .unknownUnit(let unit): problem = "unknown unit \"\(unit)\""
        case .overflow: problem = "it is larger than \(Int.max) bytes"
        }
        return "invalid byte count \"\(text)\": \(problem); expected a non-negative number "
            + "with an optional unit, B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, "
            + "TiB (powers of 1024), in any case, such as \"2GB\" or \"512 MiB\""
    }
}
