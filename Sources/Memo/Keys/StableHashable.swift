/// A type whose values have a canonical byte encoding that is stable across processes.
///
/// Conform your own argument types by feeding their fields, in a fixed order, to the
/// hasher:
///
/// ```swift
/// struct Window: StableHashable {
///     var width: Int, overlap: Double
///     func stableHash(into hasher: inout StableHasher) {
///         hasher.combine(width)
///         hasher.combine(overlap)
///     }
/// }
/// ```
///
/// Enums with a raw value need only the declaration (`extension Mode: StableHashable {}`).
///
/// The encoding is what keys a persistent cache, so it must not change between releases of
/// your code unless you also bump the memoized function's `version`.
public protocol StableHashable {
    /// Writes the canonical encoding of this value into `hasher`.
    func stableHash(into hasher: inout StableHasher)
}

extension StableHashable where Self: RawRepresentable, RawValue: StableHashable {
    /// Hashes the raw value behind a tag of its own, so `Mode.fast` (raw value `1`) and the
    /// integer `1` never share an encoding.
    @inlinable public func stableHash(into hasher: inout StableHasher) {
        hasher.write(tag: .rawRepresentable)
        rawValue.stableHash(into: &hasher)
    }
}

/// Numbers whose canonical encoding is a tag and their little-endian memory, so a
/// contiguous run of them can be hashed as one block.
@usableFromInline protocol StableHashableNumber: StableHashable, BitwiseCopyable {
    static var stableTag: StableTypeTag { get }
    /// Writes the value's bytes, little-endian, without a tag.
    func writeUntagged(into hasher: inout StableHasher)
}

extension StableHashableNumber {
    @inlinable @inline(__always) public func stableHash(into hasher: inout StableHasher) {
        hasher.write(tag: Self.stableTag)
        writeUntagged(into: &hasher)
    }
}
