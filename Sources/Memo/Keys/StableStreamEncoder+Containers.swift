// MARK: Fields and opening containers

extension StableStreamEncoder {
    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        openKeyed(type, slot: currentSlot, serial: serial(of: currentSlot), path: codingPath)
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        openUnkeyed(slot: currentSlot, serial: serial(of: currentSlot), path: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        openSingle(slot: currentSlot, serial: serial(of: currentSlot), path: codingPath)
    }

    /// Writes one field (`name`: its key) or element into `frame`, first closing the
    /// containers opened after it; on error, none of it is left, as the tree leaves none.
    @inline(__always) func field(
        _ frame: Int, _ serial: UInt32, name: (() -> String)?, _ body: (StableStreamEncoder) throws -> Void
    ) throws {
        guard isLive(frame, serial) else { throw treeNeeded() }
        if frames.count > frame + 1 { closeFrames(from: frame + 1) }
        let mark = sink.position
        let fieldMark = fieldCount
        do {
            if let name { appendField(StableStreamField(start: mark, prefix: writeKey(name()))) }
            try body(self)
        } catch {
            while frames.count > frame + 1 { frames.removeLast() }
            fieldCount = fieldMark
            sink.truncate(to: mark)
            throw error
        }
        frames[frame].count += 1
    }

    /// Marks the value for the tree, and returns the signal to throw where one can.
    func treeNeeded() -> NeedsTree {
        needsTree = true
        return NeedsTree()
    }

    /// Turns the pending value `slot` into a container of `kind`, or finds it already one.
    ///
    /// Asking twice for the same kind continues the same container, as a class and its
    /// superclass sharing one encoder do. Returns -1 (a container that only signals) when
    /// the tree must decide.
    func open(slot: Int, serial: UInt32, as kind: StableStreamFrame.Kind) -> Int {
        guard isLive(slot, serial) else {
            needsTree = true
            return -1
        }
        if frames.count > slot + 1 { closeFrames(from: slot + 1) }
        switch frames[slot].kind {
        case .pending:
            switch kind {
            case .keyed: sink.appendByte(StableTypeTag.encodedKeyed.rawValue)
            case .unkeyed: sink.appendByte(StableTypeTag.encodedUnkeyed.rawValue)
            default: break
            }
            frames[slot].kind = kind
            if kind == .keyed || kind == .unkeyed {
                (frames[slot].countOffset, frames[slot].fieldStart) = (sink.position, fieldCount)
                sink.append(UInt64(0))
            }
            return slot
        case kind:
            return slot
        default:
            needsTree = true
            return -1
        }
    }

    func openKeyed<Key: CodingKey>(_: Key.Type, slot: Int, serial: UInt32, path: [any CodingKey])
        -> KeyedEncodingContainer<Key>
    {
        KeyedEncodingContainer(
            StableStreamKeyedContainer<Key>(
                encoder: self, frame: open(slot: slot, serial: serial, as: .keyed), serial: serial, codingPath: path))
    }

    func openUnkeyed(slot: Int, serial: UInt32, path: [any CodingKey]) -> any UnkeyedEncodingContainer {
        StableStreamUnkeyedContainer(self, open(slot: slot, serial: serial, as: .unkeyed), serial, single: false, path)
    }

    func openSingle(slot: Int, serial: UInt32, path: [any CodingKey]) -> any SingleValueEncodingContainer {
        StableStreamUnkeyedContainer(self, open(slot: slot, serial: serial, as: .single), serial, single: true, path)
    }

    /// Writes the key of a field (or nothing, for an element) and pushes a pending frame for
    /// its value, which a nested container or a super encoder then fills.
    func nestedSlot(in frame: Int, _ serial: UInt32, name: (() -> String)?) -> (frame: Int, serial: UInt32) {
        do { try field(frame, serial, name: name) { _ in } } catch { return (-1, 0) }
        let slot = pushFrame(.pending)
        return (slot, frames[slot].serial)
    }

    /// Writes the single value of `frame`; a second one is the tree's to resolve.
    func single(_ frame: Int, _ serial: UInt32, _ body: (StableStreamEncoder) throws -> Void) throws {
        guard isLive(frame, serial), frames[frame].kind == .single else { throw treeNeeded() }
        if frames.count > frame + 1 { closeFrames(from: frame + 1) }
        frames[frame].kind = .done
        let mark = sink.position
        do { try body(self) } catch {
            while frames.count > frame + 1 { frames.removeLast() }
            frames[frame].kind = .single
            sink.truncate(to: mark)
            throw error
        }
    }

    // MARK: Key order

    /// Writes a key as a string and returns its first 8 UTF-8 bytes, big-endian and padded
    /// with zeros: comparing two of them orders most keys without reading their bytes.
    @inline(__always) func writeKey(_ name: String) -> UInt64 {
        let start = sink.position
        writeString(name)
        // The UTF-8 follows the tag (1 byte) and the length (8).
        let utf8 = UnsafeRawBufferPointer(
            start: sink.base.unsafelyUnwrapped + start + 9, count: sink.position - start - 9)
        guard utf8.count < 8 else { return UInt64(bigEndian: utf8.loadUnaligned(as: UInt64.self)) }
        var prefix: UInt64 = 0
        for byte in utf8 { prefix = prefix << 8 | UInt64(byte) }
        return prefix << (8 * (8 - UInt64(utf8.count)))
    }

    @inline(__always) func appendField(_ field: StableStreamField) {
        if fieldCount == fields.count { fields.append(field) } else { fields[fieldCount] = field }
        fieldCount += 1
    }

    /// Puts the fields written since `fields[first]` in the order of their keys' UTF-8
    /// bytes (a key written twice keeps its writing order), moving their bytes in place.
    func sortFields(from first: Int) {
        let count = fieldCount - first
        guard count > 1, let base = sink.base else { return }
        let end = sink.position
        fields.withUnsafeBufferPointer { all in
            let fields = UnsafeBufferPointer(rebasing: all[first..<first + count])
            var sorted = true
            for index in 1..<count where keyPrecedes(fields[index], fields[index - 1], base) {
                sorted = false
                break
            }
            if sorted { return }
            withUnsafeTemporaryAllocation(of: Int.self, capacity: count) { order in
                // Insertion sort of the field indices: stable, and fields are few.
                for index in 0..<count {
                    var slot = index
                    while slot > 0, keyPrecedes(fields[index], fields[order[slot - 1]], base) {
                        order[slot] = order[slot - 1]
                        slot -= 1
                    }
                    order[slot] = index
                }
                let regionStart = fields[0].start
                withUnsafeTemporaryAllocation(byteCount: end - regionStart, alignment: 1) { scratch in
                    var offset = 0
                    for position in 0..<count {
                        let field = order[position]
                        let start = fields[field].start
                        let fieldEnd = field + 1 < count ? fields[field + 1].start : end
                        (scratch.baseAddress! + offset).copyMemory(from: base + start, byteCount: fieldEnd - start)
                        offset += fieldEnd - start
                    }
                    (base + regionStart).copyMemory(from: scratch.baseAddress!, byteCount: offset)
                }
            }
        }
    }

    /// Whether the key of `a` (written as a tag, an 8-byte length, UTF-8) sorts before `b`'s.
    @inline(__always) func keyPrecedes(_ a: StableStreamField, _ b: StableStreamField, _ base: UnsafeMutableRawPointer)
        -> Bool
    {
        if a.prefix != b.prefix { return a.prefix < b.prefix }
        let (keyA, keyB) = (base + a.start, base + b.start)
        let lengthA = Int(UInt64(littleEndian: (keyA + 1).loadUnaligned(as: UInt64.self)))
        let lengthB = Int(UInt64(littleEndian: (keyB + 1).loadUnaligned(as: UInt64.self)))
        var index = 9
        while index < 9 + Swift.min(lengthA, lengthB) {
            let (byteA, byteB) = (keyA.load(fromByteOffset: index, as: UInt8.self), keyB.load(fromByteOffset: index, as: UInt8.self))
            if byteA != byteB { return byteA < byteB }
            index += 1
        }
        return lengthA < lengthB
    }
}

/// Where a field of an open keyed container starts, and its key's first bytes.
struct StableStreamField {
    var start: Int
    var prefix: UInt64
}

// MARK: Containers

/// A keyed container writing into one frame of the encoder.
struct StableStreamKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: StableStreamEncoder
    let frame: Int
    let serial: UInt32
    let codingPath: [any CodingKey]

    @inline(__always) func put(_ key: Key, _ body: (StableStreamEncoder) throws -> Void) throws {
        try encoder.field(frame, serial, name: { key.stringValue }, body)
    }

    mutating func encodeNil(forKey key: Key) throws { try put(key) { $0.writeNil() } }
    mutating func encode(_ value: Bool, forKey key: Key) throws { try put(key) { $0.writeNumber(value) } }
    mutating func encode(_ value: String, forKey key: Key) throws { try put(key) { $0.writeString(value) } }
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

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        let slot = encoder.nestedSlot(in: frame, serial, name: { key.stringValue })
        return encoder.openKeyed(keyType, slot: slot.frame, serial: slot.serial, path: codingPath + [key])
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let slot = encoder.nestedSlot(in: frame, serial, name: { key.stringValue })
        return encoder.openUnkeyed(slot: slot.frame, serial: slot.serial, path: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder { superEncoder(key: CompactStringKey(stringValue: "super")) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder(key: key) }

    func superEncoder(key: some CodingKey) -> any Encoder {
        let slot = encoder.nestedSlot(in: frame, serial, name: { key.stringValue })
        return StableStreamSuperEncoder(
            encoder: encoder, frame: slot.frame, serial: slot.serial, codingPath: codingPath + [key])
    }
}

/// An unkeyed container writing into one frame of the encoder, or (`single`) the single
/// value container of a frame: both protocols ask for the same methods.
struct StableStreamUnkeyedContainer: UnkeyedEncodingContainer, SingleValueEncodingContainer {
    let encoder: StableStreamEncoder
    let frame: Int32
    /// The frame's serial, with the top bit set for a single value container: the struct
    /// stays within an existential's inline buffer, so opening it allocates nothing.
    let serialAndMode: UInt32
    let codingPath: [any CodingKey]

    init(_ encoder: StableStreamEncoder, _ frame: Int, _ serial: UInt32, single: Bool, _ codingPath: [any CodingKey]) {
        (self.encoder, self.frame, self.codingPath) = (encoder, Int32(truncatingIfNeeded: frame), codingPath)
        self.serialAndMode = serial | (single ? 0x8000_0000 : 0)
    }

    var serial: UInt32 { serialAndMode & 0x7FFF_FFFF }
    var single: Bool { serialAndMode & 0x8000_0000 != 0 }
    var count: Int { encoder.isLive(Int(frame), serial) ? encoder.frames[Int(frame)].count : 0 }

    @inline(__always) func put(_ body: (StableStreamEncoder) throws -> Void) throws {
        if single { try encoder.single(Int(frame), serial, body) } else { try encoder.field(Int(frame), serial, name: nil, body) }
    }

    mutating func encodeNil() throws { try put { $0.writeNil() } }
    mutating func encode(_ value: Bool) throws { try put { $0.writeNumber(value) } }
    mutating func encode(_ value: String) throws { try put { $0.writeString(value) } }
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
        let slot = encoder.nestedSlot(in: Int(frame), serial, name: nil)
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
        return StableStreamSuperEncoder(encoder: encoder, frame: slot.frame, serial: slot.serial, codingPath: slot.path)
    }
}

/// The encoder of a field or element written through `superEncoder`: it fills one frame.
final class StableStreamSuperEncoder: Encoder {
    let encoder: StableStreamEncoder
    let frame: Int
    let serial: UInt32
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(encoder: StableStreamEncoder, frame: Int, serial: UInt32, codingPath: [any CodingKey]) {
        (self.encoder, self.frame, self.serial, self.codingPath) = (encoder, frame, serial, codingPath)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        encoder.openKeyed(type, slot: frame, serial: serial, path: codingPath)
    }
    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        encoder.openUnkeyed(slot: frame, serial: serial, path: codingPath)
    }
    func singleValueContainer() -> any SingleValueEncodingContainer {
        encoder.openSingle(slot: frame, serial: serial, path: codingPath)
    }
}

// MARK: Fast paths

/// A type the stream encoder writes itself instead of asking whether it is
/// `StableHashable`: numbers, and strings. Their bytes are those of their conformances.
protocol StableStreamFastEncodable {
    /// Writes `self` as one value.
    func streamEncode(into encoder: StableStreamEncoder)
}

extension StableHashableNumber {
    func streamEncode(into encoder: StableStreamEncoder) { encoder.writeNumber(self) }
}

extension Bool: StableStreamFastEncodable {}
extension Int: StableStreamFastEncodable {}
extension Int8: StableStreamFastEncodable {}
extension Int16: StableStreamFastEncodable {}
extension Int32: StableStreamFastEncodable {}
extension Int64: StableStreamFastEncodable {}
extension UInt: StableStreamFastEncodable {}
extension UInt8: StableStreamFastEncodable {}
extension UInt16: StableStreamFastEncodable {}
extension UInt32: StableStreamFastEncodable {}
extension UInt64: StableStreamFastEncodable {}
extension Float: StableStreamFastEncodable {}
extension Double: StableStreamFastEncodable {}

@available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)
extension Int128: StableStreamFastEncodable {}

@available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)
extension UInt128: StableStreamFastEncodable {}

extension String: StableStreamFastEncodable {
    func streamEncode(into encoder: StableStreamEncoder) { encoder.writeString(self) }
}
