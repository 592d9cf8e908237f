/// A keyed container writing into one frame of the encoder.
struct CompactKeyedEncodingContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: CompactEncoder
    let frame: Int
    let serial: UInt32
    let codingPath: [any CodingKey]

    @inline(__always) func put(_ key: Key, _ body: (CompactEncoder) throws -> Void) throws {
        try encoder.field(
            frame, serial, keyed: true, name: { key.stringValue }, hash: { encoder.keyHashes.hash(key) }, body)
    }

    mutating func encodeNil(forKey key: Key) throws { try put(key) { $0.writeNil() } }
    mutating func encode(_ value: Bool, forKey key: Key) throws { try put(key) { $0.writeBool(value) } }
    mutating func encode(_ value: String, forKey key: Key) throws { try put(key) { try $0.writeString(value) } }
    mutating func encode(_ value: Double, forKey key: Key) throws { try put(key) { $0.writeNumber(value) } }
    mutating func encode(_ value: Float, forKey key: Key) throws { try put(key) { $0.writeNumber(value) } }
    mutating func encode(_ value: Int, forKey key: Key) throws { try put(key) { $0.writeNumber(value) } }
    mutating func encode(_ value: Int8, forKey key: Key) throws { try put(key) { $0.writeNumber(value) } }
    mutating func encode(_ value: Int16, forKey key: Key) throws { try put(key) { $0.writeNumber(value) } }
    mutating func encode(_ value: Int32, forKey key: Key) throws { try put(key) { $0.writeNumber(value) } }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try put(key) { $0.writeNumber(value) } }
    mutating func encode(_ value: UInt, forKey key: Key) throws { try put(key) { $0.writeNumber(value) } }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { try put(key) { $0.writeNumber(value) } }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { try put(key) { $0.writeNumber(value) } }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try put(key) { $0.writeNumber(value) } }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { try put(key) { $0.writeNumber(value) } }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try put(key) { try $0.encodeValue(value, key: key, path: codingPath) }
    }

    /// A present value of any type is written as a present Optional would be, so that
    /// `Int??.some(nil)` stays apart from an absent field.
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        guard let value else { return }
        try put(key) { encoder in try encoder.encodeSome { try encoder.encodeValue(value, key: key, path: codingPath) } }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        let slot = encoder.nestedSlot(in: frame, serial, key: key, labeled: true)
        return encoder.openKeyed(keyType, slot: slot.frame, serial: slot.serial, path: codingPath + [key])
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let slot = encoder.nestedSlot(in: frame, serial, key: key, labeled: true)
        return encoder.openUnkeyed(slot: slot.frame, serial: slot.serial, path: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder { superEncoder(key: CompactStringKey(stringValue: "super")) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder(key: key) }

    func superEncoder(key: some CodingKey) -> any Encoder {
        let slot = encoder.nestedSlot(in: frame, serial, key: key, labeled: false)
        return CompactSuperEncoder(encoder: encoder, frame: slot.frame, serial: slot.serial, codingPath: codingPath + [key])
    }
}

/// An unkeyed container writing into one frame of the encoder, or (`single`) the single
/// value container of a pending frame: both protocols ask for the same methods.
struct CompactUnkeyedEncodingContainer: UnkeyedEncodingContainer, SingleValueEncodingContainer {
    let encoder: CompactEncoder
    let frame: Int32
    /// The frame's serial, with the top bit set for a single value container: the struct
    /// stays within an existential's inline buffer, so opening it allocates nothing.
    let serialAndMode: UInt32
    let codingPath: [any CodingKey]

    init(_ encoder: CompactEncoder, _ frame: Int, _ serial: UInt32, single: Bool, _ codingPath: [any CodingKey]) {
        (self.encoder, self.frame, self.codingPath) = (encoder, Int32(truncatingIfNeeded: frame), codingPath)
        self.serialAndMode = serial | (single ? 0x8000_0000 : 0)
    }

    var serial: UInt32 { serialAndMode & 0x7FFF_FFFF }
    var single: Bool { serialAndMode & 0x8000_0000 != 0 }
    var count: Int { encoder.isLive(Int(frame), serial) ? Int(encoder.frames[Int(frame)].count) : 0 }

    @inline(__always) func put(_ body: (CompactEncoder) throws -> Void) throws {
        if single { try encoder.single(Int(frame), serial, body) } else { try encoder.field(Int(frame), serial, keyed: false, name: { "" }, hash: { 0 }, body) }
    }

    mutating func encodeNil() throws { try put { $0.writeNil() } }
    mutating func encode(_ value: Bool) throws { try put { $0.writeBool(value) } }
    mutating func encode(_ value: String) throws { try put { try $0.writeString(value) } }
    mutating func encode(_ value: Double) throws { try put { $0.writeNumber(value) } }
    mutating func encode(_ value: Float) throws { try put { $0.writeNumber(value) } }
    mutating func encode(_ value: Int) throws { try put { $0.writeNumber(value) } }
    mutating func encode(_ value: Int8) throws { try put { $0.writeNumber(value) } }
    mutating func encode(_ value: Int16) throws { try put { $0.writeNumber(value) } }
    mutating func encode(_ value: Int32) throws { try put { $0.writeNumber(value) } }
    mutating func encode(_ value: Int64) throws { try put { $0.writeNumber(value) } }
    mutating func encode(_ value: UInt) throws { try put { $0.writeNumber(value) } }
    mutating func encode(_ value: UInt8) throws { try put { $0.writeNumber(value) } }
    mutating func encode(_ value: UInt16) throws { try put { $0.writeNumber(value) } }
    mutating func encode(_ value: UInt32) throws { try put { $0.writeNumber(value) } }
    mutating func encode(_ value: UInt64) throws { try put { $0.writeNumber(value) } }

    mutating func encode<T: Encodable>(_ value: T) throws {
        if single { return try put { try $0.encodeValue(value) } }
        let key = CompactIndexKey(intValue: count)
        try put { try $0.encodeValue(value, key: key, path: codingPath) }
    }

    /// Pushes a pending frame for the next element and its coding path.
    func nestedSlot() -> (frame: Int, serial: UInt32, path: [any CodingKey]) {
        let path = codingPath + [CompactIndexKey(intValue: count)]
        let slot = encoder.nestedSlot(in: Int(frame), serial, key: CompactIndexKey?.none, labeled: false)
        return (slot.frame, slot.serial, path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey>
    {
        let slot = nestedSlot()
        return encoder.openKeyed(keyType, slot: slot.frame, serial: slot.serial, path: slot.path)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let slot = nestedSlot()
        return encoder.openUnkeyed(slot: slot.frame, serial: slot.serial, path: slot.path)
    }

    mutating func superEncoder() -> any Encoder {
        let slot = nestedSlot()
        return CompactSuperEncoder(encoder: encoder, frame: slot.frame, serial: slot.serial, codingPath: slot.path)
    }
}

/// The encoder of a field or element written through `superEncoder`: it fills one frame.
final class CompactSuperEncoder: Encoder {
    let encoder: CompactEncoder
    let frame: Int
    let serial: UInt32
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(encoder: CompactEncoder, frame: Int, serial: UInt32, codingPath: [any CodingKey]) {
        (self.encoder, self.frame, self.serial, self.codingPath) = (encoder, frame, serial, codingPath)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        encoder.openKeyed(type, slot: frame, serial: serial, path: codingPath)
    }
    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        encoder.openUnkeyed(slot: frame, serial: serial, path: codingPath)
    }
    func singleValueContainer() -> any SingleValueEncodingContainer {
        CompactUnkeyedEncodingContainer(encoder, frame, serial, single: true, codingPath)
    }
}

// MARK: Fast paths

/// A type the encoder writes itself instead of calling `encode(to:)`: numbers, Bool,
/// String, Optionals (for the `some` tag) and arrays of numbers (one number block).
protocol CompactFastEncodable {
    /// Writes `self` as one value.
    func compactEncode(into encoder: CompactEncoder) throws
}

extension CompactNumber {
    func compactEncode(into encoder: CompactEncoder) throws { encoder.writeNumber(self) }
}

extension Bool: CompactFastEncodable {
    func compactEncode(into encoder: CompactEncoder) throws { encoder.writeBool(self) }
}

extension String: CompactFastEncodable {
    func compactEncode(into encoder: CompactEncoder) throws { try encoder.writeString(self) }
}

extension Optional: CompactFastEncodable where Wrapped: Encodable {
    func compactEncode(into encoder: CompactEncoder) throws {
        guard let self else { return encoder.writeNil() }
        try encoder.encodeSome { try encoder.encodeValue(self) }
    }
}

extension Array: CompactFastEncodable where Element: CompactNumber {
    func compactEncode(into encoder: CompactEncoder) throws { try encoder.writeBlock(self) }
}
