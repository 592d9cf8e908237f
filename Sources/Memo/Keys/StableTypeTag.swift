/// The one-byte type tags of the canonical encoding.
///
/// Every encoded value starts with its tag, so values of different types never share an
/// encoding (`1` and `"1"`, `[Double]` and `[Float]` of the same bytes). The raw values are
/// part of the on-disk format: they are frozen by `Fixtures/keys/` and must never change.
@usableFromInline enum StableTypeTag: UInt8 {
    case bool = 0x01
    case int8 = 0x02
    case int16 = 0x03
    case int32 = 0x04
    case int64 = 0x05
    case int = 0x06
    case uint8 = 0x07
    case uint16 = 0x08
    case uint32 = 0x09
    case uint64 = 0x0A
    case uint = 0x0B
    case float = 0x0C
    case double = 0x0D
    case int128 = 0x0E
    case uint128 = 0x0F

    case string = 0x10
    case substring = 0x11

    /// An ordered sequence hashed element by element: tag, count, elements.
    case sequence = 0x20
    /// An ordered sequence of fixed-width numbers: tag, element tag, count, raw
    /// little-endian memory.
    case numericSequence = 0x21

    case none = 0x30
    case some = 0x31

    /// Tag, count, then the sorted digests of the entries.
    case dictionary = 0x40
    case set = 0x41

    case range = 0x50
    case closedRange = 0x51
    case duration = 0x52

    case rawRepresentable = 0x60
    case cacheKey = 0x70

    /// An `Encodable` value keyed by `StableEncoder`: the tag, then the digest of the
    /// type's name and the root.
    case encodable = 0x80
    /// A keyed container: count, then per field (in key order) the key as a string and
    /// the field's encoding.
    case encodedKeyed = 0x81
    /// An unkeyed container: count, then the elements in order.
    case encodedUnkeyed = 0x82
    /// An explicit nil (`encodeNil`).
    case encodedNil = 0x83
    /// A `StableHashable` value inside an encoded one, by the digest of its own encoding.
    case stableDigest = 0x84
    /// A value that asked for no container at all.
    case encodedEmpty = 0x85

    /// Foundation's types (`StableHashable+Foundation.swift`).
    case date = 0xA0
    case uuid = 0xA1
    case url = 0xA2
    case data = 0xA3
    case decimal = 0xA4
}
