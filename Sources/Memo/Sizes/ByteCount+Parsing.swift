extension ByteCount {
    /// Parses a size such as `"2GB"`, `"512 MiB"`, `"1.5kb"` or `"4096"`.
    ///
    /// The text is a non-negative decimal number (digits, optionally a fraction), optional
    /// spaces, and an optional unit: B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB,
    /// TiB (powers of 1024), in any case. No unit means bytes. Fractions are exact and
    /// rounded down to a whole byte: `"1.5KiB"` is 1536, `"0.3KB"` is 300.
    ///
    /// - Throws: ``ByteCountParseError`` naming the text and what was wrong with it: empty,
    ///   not a number (`"abc"`, `"nan GB"`), negative (`"-1MB"`), an unknown unit (`"1XB"`),
    ///   or too large for `Int`.
    public init(parsing text: String) throws(ByteCountParseError) {
        func fail(_ reason: ByteCountParseError.Reason) -> ByteCountParseError {
            ByteCountParseError(text: text, reason: reason)
        }
        let trimmed = text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace)
        let body = Substring(String(trimmed.reversed()))
        guard !body.isEmpty else { throw fail(.empty) }
        if body.first == "-" { throw fail(.negative) }

        let digits = body.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        let unitText = body[digits.endIndex...].drop(while: { $0 == " " })
        let parts = digits.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let integerPart = parts.first ?? ""
        let fractionPart = parts.count > 1 ? parts[1] : ""
        guard !(integerPart.isEmpty && fractionPart.isEmpty),
            !fractionPart.contains(".")
        else { throw fail(.notANumber) }

        let unit: ByteUnit
        if unitText.isEmpty {
            unit = .byte
        } else if let named = ByteUnit.named(unitText) {
            unit = named
        } else {
            throw fail(.unknownUnit(String(unitText)))
        }

        // Whole part: digits × multiplier, checked for overflow at every step.
        var whole = 0
        for digit in integerPart {
            let (shifted, overflow1) = whole.multipliedReportingOverflow(by: 10)
            let (added, overflow2) = shifted.addingReportingOverflow(digit.wholeNumberValue!)
            guard !overflow1, !overflow2 else { throw fail(.overflow) }
            whole = added
        }
        let (wholeBytes, overflow) = whole.multipliedReportingOverflow(by: unit.multiplier)
        guard !overflow else { throw fail(.overflow) }

        // Fraction: the first 18 digits are exact in UInt64; later ones cannot change the
        // whole bytes of a multiplier below 10^18.
        var numerator: UInt64 = 0
        var denominator: UInt64 = 1
        for digit in fractionPart.prefix(18) {
            numerator = numerator * 10 + UInt64(digit.wholeNumberValue!)
            denominator *= 10
        }
        let product = UInt64(unit.multiplier).multipliedFullWidth(by: numerator)
        let fractionBytes = Int(denominator.dividingFullWidth(product).quotient)
        let (total, overflowTotal) = wholeBytes.addingReportingOverflow(fractionBytes)
        guard !overflowTotal else { throw fail(.overflow) }
        self.init(total)
    }
}
