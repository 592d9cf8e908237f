/// A compact binary encoding of `Codable` values, the payload of spill files.
///
/// Binary property lists spend most of their time building object graphs and looking up
/// key strings; this format streams values straight into a byte buffer and identifies the
/// fields of a struct by a hash of their key instead of by name.
///
/// ## Format (all multi-byte numbers little-endian)
///
/// ```
/// payload  := version value            version is formatVersion (0x01); never 0x62 ('b')
/// value    := tag body
/// tag  body
/// 0x00 nil                              —
/// 0x01 some                             value: an Optional level that is present but whose
///                                       wrapped value is itself written as nil or some
///                                       (`Int??.some(nil)` is `01 00`)
/// 0x02 bool                             1 byte, 0 or 1
/// 0x03 int8    0x04 int16  0x05 int32   1, 2, 4 bytes
/// 0x06 int64                            8 bytes; also Int, always 8 bytes
/// 0x07 uint8   0x08 uint16 0x09 uint32  1, 2, 4 bytes
/// 0x0A uint64                           8 bytes; also UInt, always 8 bytes
/// 0x0B float                            4 bytes, the IEEE bit pattern (NaN payloads kept)
/// 0x0C double                           8 bytes, the IEEE bit pattern
/// 0x0D string                           u32 byte count, that many bytes of UTF-8
/// 0x0E keyed                            u32 field count, then per field:
///                                       u64 key hash, value
/// 0x0F named keyed                      u32 field count, then per field:
///                                       u32 byte count, UTF-8 key, value
/// 0x10 unkeyed                          u32 element count, then that many values
/// 0x11 number block                     u8 element tag (0x03…0x0C), u32 element count,
///                                       count × width bytes of raw little-endian numbers
/// 0x12 labeled                          u32 byte count, UTF-8 key name, value; only as the
///                                       value of a field of a keyed (0x0E) container
/// ```
///
/// - The key hash is a 64-bit hash of the UTF-8 bytes of the key's `stringValue`, defined
///   by ``compactKeyHash(_:)-bytes``; a key's `intValue` is not written. Two keys of one
///   container with the same hash make encoding throw.
/// - Keyed containers whose key type accepts any string (dictionaries keyed by `String`,
///   `Int` or a `CodingKeyRepresentable` type, and other open key types) are written as
///   named keyed containers, so that `allKeys` can name their keys. Every other keyed
///   container is hashed; a field created by `nestedContainer(keyedBy:forKey:)` or
///   `nestedUnkeyedContainer(forKey:)` is labeled with its name, because synthesized enum
///   decoding asks `allKeys` which case is present.
/// - A field is absent when `encodeIfPresent` met nil; `encodeNil(forKey:)` writes a field
///   whose value is nil.
/// - Arrays of fixed-width numbers (`[Double]`, `[Int]`, `[UInt8]`…) encoded through any
///   generic `encode` are one number block; everything else uses the value's own
///   `Codable` conformance.
/// - Counts and lengths are u32: a string, container or block of more than 2³² − 1
///   elements makes encoding throw.
/// - A key type is open when `Key(stringValue: "\u{0}memo\u{0}")` succeeds. A value whose
///   `encode(to:)` asks for no container is written as an empty keyed container.
///
/// ## Decoding
///
/// - Numbers decode only as their own width and signedness (Int and Int64 share a tag, as
///   do UInt and UInt64); a number block decodes only as an array of its element type.
/// - `allKeys` names the keys of named containers and labeled fields, plus, when `Key` is
///   `CaseIterable`, the cases whose hash matches a field; other hashed keys cannot be
///   named and are left out. `decodeNil(forKey:)` is true only for a field written as nil
///   and throws `keyNotFound` for an absent one.
/// - Keys requested in the order they were written are read with no search; any other
///   order scans the container.
enum CompactCoding {
    /// First byte of every payload. Must not be 0x62 ('b'): old payloads are binary property
    /// lists starting "bplist00", and the reader tells them apart by this byte.
    static let formatVersion: UInt8 = 0x01

    /// How deeply containers may nest, so that a hostile payload cannot overflow the stack.
    static let maximumDepth = 512

    /// Appends the payload of `value` (formatVersion byte first) to `buffer`.
    ///
    /// The payload is written into the scratch buffer of a pooled encoder and appended in
    /// one copy, so on error `buffer` is left as it was.
    static func encode<Value: Encodable>(_ value: Value, appendingTo buffer: inout [UInt8]) throws
    {
        let encoder = CompactEncoder.take(counting: false)
        defer { CompactEncoder.recycle(encoder) }
        encoder.sink.appendByte(formatVersion)
        try encoder.encodeRoot(value)
        buffer.append(contentsOf: UnsafeRawBufferPointer(start: encoder.sink.base, count: encoder.sink.position))
    }

    /// The exact byte count `encode` would append, computed by a counting pass that writes
    /// no bytes and allocates no byte buffer (memoryCost uses it on every store).
    static func encodedCount<Value: Encodable>(of value: Value) throws -> Int {
        let encoder = CompactEncoder.take(counting: true)
        defer { CompactEncoder.recycle(encoder) }
        encoder.sink.appendByte(formatVersion)
        try encoder.encodeRoot(value)
        return encoder.sink.position
    }

    /// Decodes a whole payload written by `encode` (formatVersion byte first).
    ///
    /// Throws ``SpillDecodingError`` for bytes that are not a payload and a `DecodingError`
    /// for a payload that is not a value of `Value`; bytes after the value are an error too.
    static func decode<Value: Decodable>(_ type: Value.Type, from bytes: UnsafeRawBufferPointer)
        throws -> Value
    {
        guard let first = bytes.first else {
            throw SpillDecodingError.truncated(needed: 1, remaining: 0)
        }
        guard first == formatVersion else {
            throw SpillDecodingError.invalid("compact payload version \(first) is not \(formatVersion)")
        }
        let decoder = CompactDecoder.take(bytes)
        defer { CompactDecoder.recycle(decoder) }
        return try decoder.decodeRoot(type, at: 1)
    }
}

/// The tag bytes of the format, one per kind of value (see ``CompactCoding``).
enum CompactTag {
    static let null: UInt8 = 0x00
    static let some: UInt8 = 0x01
    static let bool: UInt8 = 0x02
    static let int8: UInt8 = 0x03
    static let int16: UInt8 = 0x04
    static let int32: UInt8 = 0x05
    static let int64: UInt8 = 0x06
    static let uint8: UInt8 = 0x07
    static let uint16: UInt8 = 0x08
    static let uint32: UInt8 = 0x09
    static let uint64: UInt8 = 0x0A
    static let float: UInt8 = 0x0B
    static let double: UInt8 = 0x0C
    static let string: UInt8 = 0x0D
    static let keyed: UInt8 = 0x0E
    static let named: UInt8 = 0x0F
    static let unkeyed: UInt8 = 0x10
    static let block: UInt8 = 0x11
    static let labeled: UInt8 = 0x12

    /// The byte width of a number tag's body, or nil for a tag that is not a fixed-width number.
    static func numberWidth(_ tag: UInt8) -> Int? {
        switch tag {
        case int8, uint8: 1
        case int16, uint16: 2
        case int32, uint32, float: 4
        case int64, uint64, double: 8
        default: nil
        }
    }
}

/// The stable hash of a key's `stringValue` (see ``compactKeyHash(_:)-bytes``): unlike
/// `Hasher`, the same in every process, so payloads written by one process read in another.
@inline(__always)
func compactKeyHash(_ key: some CodingKey) -> UInt64 {
    var text = key.stringValue
    return text.withUTF8 { compactKeyHash(UnsafeRawBufferPointer($0)) }
}

/// The key hash of `bytes`: h = 0xcbf29ce484222325 ^ byte count; then for each 8-byte
/// little-endian word w of the bytes (the last one zero-padded) h = (h ^ w) &* 0x9e3779b97f4a7c15;
/// finally h ^ (h >> 32). Word-wise, so a key costs a multiply or two; every step is
/// invertible, so keys of up to 8 bytes and the same length never collide.
@inline(__always)
func compactKeyHash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(bytes.count)
    var offset = 0
    while bytes.count - offset >= 8 {
        hash = (hash ^ UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))) &* 0x9e37_79b9_7f4a_7c15
        offset += 8
    }
    if offset < bytes.count {
        var word: UInt64 = 0
        for index in offset..<bytes.count { word |= UInt64(bytes[index]) << (8 * UInt64(index - offset)) }
        hash = (hash ^ word) &* 0x9e37_79b9_7f4a_7c15
    }
    return hash ^ (hash >> 32)
}

/// A direct-mapped memo of key hashes for small trivial key types, such as synthesized
/// `CodingKeys` enums: their bits identify the key, so each key is hashed once, not once per
/// field. Other key types (and bits that differ only in padding) just miss.
struct CompactKeyHashCache {
    /// One memo entry: the key type (0 for none), the key's bits and its hash.
    struct Entry {
        var type: UInt = 0
        var bits: UInt64 = 0
        var hash: UInt64 = 0
    }

    var entries = [Entry](repeating: Entry(), count: 64)

    @inline(__always) mutating func hash<K: CodingKey>(_ key: K) -> UInt64 {
        let size = MemoryLayout<K>.size
        guard size <= 8, _isPOD(K.self) else { return compactKeyHash(key) }
        let bits = withUnsafePointer(to: key) { pointer in
            let raw = UnsafeRawPointer(pointer)
            switch size {
            case 0: return 0 as UInt64
            case 1: return UInt64(raw.load(as: UInt8.self))
            case 8: return raw.loadUnaligned(as: UInt64.self)
            default: return (0..<size).reduce(0) { $0 | UInt64(raw.load(fromByteOffset: $1, as: UInt8.self)) << (8 * $1) }
            }
        }
        let type = UInt(bitPattern: ObjectIdentifier(K.self))
        let slot = Int(truncatingIfNeeded: ((UInt64(type >> 4) ^ bits) &* 0x9e37_79b9_7f4a_7c15) >> 58)
        let entry = entries[slot]
        if entry.type == type && entry.bits == bits { return entry.hash }
        let hash = compactKeyHash(key)
        entries[slot] = Entry(type: type, bits: bits, hash: hash)
        return hash
    }
}

/// A fixed-width number written as its little-endian bit pattern: the numbers a number
/// block can hold, each with its tag and the unsigned integer holding its bits.
protocol CompactNumber: Codable, CompactFastEncodable, CompactFastDecodable {
    /// The unsigned integer of the same width that holds the bit pattern.
    associatedtype Bits: FixedWidthInteger & UnsignedInteger
    /// The tag written before a single number of this type.
    static var compactTag: UInt8 { get }
    /// The bit pattern, as written.
    var compactBits: Bits { get }
    /// The number back from its bit pattern; nil when it does not fit (Int on 32-bit hosts).
    init?(compactBits: Bits)
}

/// Unsigned numbers are their own bit pattern.
extension CompactNumber where Self: UnsignedInteger, Bits == Self {
    var compactBits: Bits { self }
    init?(compactBits: Bits) { self = compactBits }
}

/// Signed numbers are written as the two's complement bit pattern.
extension CompactNumber where Self: FixedWidthInteger & SignedInteger, Bits == Magnitude {
    var compactBits: Bits { Bits(truncatingIfNeeded: self) }
    init?(compactBits: Bits) { self.init(truncatingIfNeeded: compactBits) }
}

extension UInt8: CompactNumber { static var compactTag: UInt8 { CompactTag.uint8 } }
extension UInt16: CompactNumber { static var compactTag: UInt8 { CompactTag.uint16 } }
extension UInt32: CompactNumber { static var compactTag: UInt8 { CompactTag.uint32 } }
extension UInt64: CompactNumber { static var compactTag: UInt8 { CompactTag.uint64 } }
extension Int8: CompactNumber { static var compactTag: UInt8 { CompactTag.int8 } }
extension Int16: CompactNumber { static var compactTag: UInt8 { CompactTag.int16 } }
extension Int32: CompactNumber { static var compactTag: UInt8 { CompactTag.int32 } }
extension Int64: CompactNumber { static var compactTag: UInt8 { CompactTag.int64 } }

/// Int is always written as 8 bytes, whatever the host's word size.
extension Int: CompactNumber {
    static var compactTag: UInt8 { CompactTag.int64 }
    var compactBits: UInt64 { UInt64(bitPattern: Int64(self)) }
    init?(compactBits: UInt64) { self.init(exactly: Int64(bitPattern: compactBits)) }
}

/// UInt is always written as 8 bytes, whatever the host's word size.
extension UInt: CompactNumber {
    static var compactTag: UInt8 { CompactTag.uint64 }
    var compactBits: UInt64 { UInt64(self) }
    init?(compactBits: UInt64) { self.init(exactly: compactBits) }
}

extension Float: CompactNumber {
    static var compactTag: UInt8 { CompactTag.float }
    var compactBits: UInt32 { bitPattern }
    init?(compactBits: UInt32) { self.init(bitPattern: compactBits) }
}

extension Double: CompactNumber {
    static var compactTag: UInt8 { CompactTag.double }
    var compactBits: UInt64 { bitPattern }
    init?(compactBits: UInt64) { self.init(bitPattern: compactBits) }
}

/// Whether this host stores numbers little-endian, so number blocks are copied as memory.
let compactHostIsLittleEndian = 1.littleEndian == 1
