// MARK: Fast paths

/// A type the decoder reads itself instead of calling `init(from:)`: numbers, Bool, String,
/// Optionals (for the `some` tag) and arrays of numbers (one number block).
protocol CompactFastDecodable {
    /// Whether this fast path reads a value starting with `tag`; else `init(from:)` does.
    static func compactReads(tag: UInt8) -> Bool
    /// The value at `offset`; sets `end` to where it ends.
    static func compactDecode(from decoder: CompactDecoder, at offset: Int, end: inout Int) throws -> Self
}

extension CompactFastDecodable {
    static func compactReads(tag: UInt8) -> Bool { true }
}

extension CompactNumber {
    static func compactDecode(from decoder: CompactDecoder, at offset: Int, end: inout Int) throws -> Self {
        try decoder.number(Self.self, at: offset, end: &end)
    }
}

extension Bool: CompactFastDecodable {
    static func compactDecode(from decoder: CompactDecoder, at offset: Int, end: inout Int) throws -> Self {
        try decoder.bool(at: offset, end: &end)
    }
}

extension String: CompactFastDecodable {
    static func compactDecode(from decoder: CompactDecoder, at offset: Int, end: inout Int) throws -> Self {
        try decoder.string(at: offset, end: &end)
    }
}

extension Optional: CompactFastDecodable where Wrapped: Decodable {
    static func compactDecode(from decoder: CompactDecoder, at offset: Int, end: inout Int) throws -> Self {
        try decoder.decodePresent(at: offset, end: &end) { try decoder.decodeValue(Wrapped.self, at: $0, end: &$1) }
    }
}

extension Array: CompactFastDecodable where Element: CompactNumber {
    /// Only a number block: an unkeyed container (an array encoded by its own conformance)
    /// goes through `init(from:)`.
    static func compactReads(tag: UInt8) -> Bool { tag == CompactTag.block }

    static func compactDecode(from decoder: CompactDecoder, at offset: Int, end: inout Int) throws -> Self {
        try decoder.block(Element.self, at: offset, end: &end)
    }
}
