/// `StableHashable` from a type's `Encodable` conformance: declare the protocol, write
/// nothing.
///
/// ```swift
/// struct Window: Codable, StableHashable {
///     var width: Int, overlap: Double
///     var labels: [String: Int]          // any order, any process: one key
/// }
/// ```
///
/// The value is encoded by a canonical encoder, and the key is a tag and the digest of the
/// type's fully qualified name (two types with the same fields never share a key) and the
/// contents, with keyed containers in key order, dictionaries and sets independent of
/// their iteration order, and fields whose types are `StableHashable` hashed by their own
/// conformance. A value whose `encode(to:)` throws cannot be keyed: the hasher is marked
/// (``StableHasher/isUnkeyable``) and a memoized call runs its body uncached.
extension StableHashable where Self: Encodable {
    /// Writes the canonical encoding of the value's `Encodable` representation.
    public func stableHash(into hasher: inout StableHasher) {
        StableEncoder.hash(self, into: &hasher)
    }
}

/// A raw-value enum that is also `Codable` keys by its raw value, as it did before it was
/// `Codable`: of the two default implementations, this one.
extension StableHashable where Self: RawRepresentable & Encodable, RawValue: StableHashable {
    /// Hashes the raw value behind the raw-representable tag.
    @inlinable public func stableHash(into hasher: inout StableHasher) {
        hasher.write(tag: .rawRepresentable)
        rawValue.stableHash(into: &hasher)
    }
}
