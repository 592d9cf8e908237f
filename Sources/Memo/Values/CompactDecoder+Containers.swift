extension CompactDecoder {
    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        try keyedContainer(type, at: valueOffset, depth: depth, path: codingPath)
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try unkeyedContainer(at: valueOffset, depth: depth, path: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        CompactValueDecodingContainer(decoder: self, singleValueAt: valueOffset, codingPath: codingPath)
    }

    func keyedContainer<Key: CodingKey>(
        _: Key.Type, at offset: Int, depth: Int, path: [any CodingKey]
    ) throws -> KeyedDecodingContainer<Key> {
        let (frame, serial) = try openFrame(at: offset, keyed: true, depth: depth, type: Key.self)
        return KeyedDecodingContainer(
            CompactKeyedDecodingContainer<Key>(decoder: self, frame: frame, serial: serial, codingPath: path))
    }

    func unkeyedContainer(at offset: Int, depth: Int, path: [any CodingKey]) throws
        -> any UnkeyedDecodingContainer
    {
        let (frame, serial) = try openFrame(at: offset, keyed: false, depth: depth, type: [Any].self)
        return CompactValueDecodingContainer(decoder: self, frame: frame, serial: serial, codingPath: path)
    }

    /// Pushes the frame of the container at `offset`, checking its count against the bytes left.
    func openFrame(at offset: Int, keyed: Bool, depth: Int, type: Any.Type) throws -> (Int, UInt32) {
        guard depth < CompactCoding.maximumDepth else { throw tooDeep() }
        let tag = try byte(at: offset)
        guard keyed ? (tag == CompactTag.keyed || tag == CompactTag.named) : tag == CompactTag.unkeyed
        else { throw mismatch(type, at: offset) }
        let count = try length(at: offset + 1)
        let smallest = tag == CompactTag.keyed ? 9 : tag == CompactTag.named ? 5 : 1
        guard count <= (bytes.count - offset - 5) / smallest else {
            throw SpillDecodingError.invalid("a container of \(count) values in \(bytes.count - offset - 5) bytes")
        }
        nextSerial = (nextSerial &+ 1) & 0x7FFF_FFFF
        frames.append(
            CompactDecodingFrame(
                valueStart: offset, start: offset + 5, cursor: offset + 5, index: 0,
                count: UInt32(count), tag: tag, serial: nextSerial, depth: depth))
        if count == 0 { (knownStart, knownEnd) = (offset, offset + 5) }
        return (frames.count - 1, nextSerial)
    }

    @inline(__always) func frame(_ index: Int, _ serial: UInt32) throws -> CompactDecodingFrame {
        guard index < frames.count, frames[index].serial == serial else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: codingPath, debugDescription: "a container was used after its value ended"))
        }
        return frames[index]
    }

    /// Notes that field or element `index` of `frame` was read and ends at `end`.
    @inline(__always) func advance(_ frame: Int, past index: UInt32, to end: Int) {
        frames[frame].index = index + 1
        frames[frame].cursor = end
        if index + 1 == frames[frame].count { (knownStart, knownEnd) = (frames[frame].valueStart, end) }
    }

    /// Where the value of a field starts, past its label if it has one.
    @inline(__always) func unlabel(_ offset: Int) throws -> Int {
        try byte(at: offset) == CompactTag.labeled ? try utf8(at: offset + 1).1 : offset
    }

    /// Finds the field of `key`: the next one in sequence if it matches, else by a scan.
    func locate<K: CodingKey>(_ key: K, in index: Int, _ serial: UInt32) throws -> (index: UInt32, value: Int)? {
        let frame = try self.frame(index, serial)
        if frame.tag == CompactTag.keyed {
            let hash = keyHashes.hash(key)
            if frame.index < frame.count, try load(UInt64.self, at: frame.cursor) == hash {
                return (frame.index, try unlabel(frame.cursor + 8))
            }
            var cursor = frame.start
            for field in 0..<frame.count {
                if try load(UInt64.self, at: cursor) == hash { return (field, try unlabel(cursor + 8)) }
                cursor = try skip(at: cursor + 8, depth: frame.depth + 1)
            }
            return nil
        }
        var name = key.stringValue
        return try name.withUTF8 { name in
            if frame.index < frame.count {
                let (raw, value) = try utf8(at: frame.cursor)
                if raw.elementsEqual(name) { return (frame.index, try unlabel(value)) }
            }
            var cursor = frame.start
            for field in 0..<frame.count {
                let (raw, value) = try utf8(at: cursor)
                if raw.elementsEqual(name) { return (field, try unlabel(value)) }
                cursor = try skip(at: value, depth: frame.depth + 1)
            }
            return nil
        }
    }

    /// The keys of a container that can be named: written names and labels, and hashes
    /// matching a case of `Key` when it is `CaseIterable`; others are left out.
    func allKeys<Key: CodingKey>(_: Key.Type, in index: Int, _ serial: UInt32) throws -> [Key] {
        let frame = try self.frame(index, serial)
        var cases: [(UInt64, Key)] = []
        if frame.tag == CompactTag.keyed, let iterable = Key.self as? any CaseIterable.Type {
            cases = hashedCases(iterable, as: Key.self)
        }
        var keys: [Key] = []
        var cursor = frame.start
        for _ in 0..<frame.count {
            var name: UnsafeRawBufferPointer?
            var value = cursor + 8
            if frame.tag == CompactTag.named {
                (name, value) = try utf8(at: cursor)
            } else if try byte(at: value) == CompactTag.labeled {
                name = try utf8(at: value + 1).0
            } else if let match = try cases.first(where: { try $0.0 == load(UInt64.self, at: cursor) }) {
                keys.append(match.1)
            }
            if let name {
                if let key = Key(stringValue: try compactText(name)) { keys.append(key) }
            }
            cursor = try skip(at: value, depth: frame.depth + 1)
        }
        return keys
    }

    func hashedCases<C: CaseIterable, Key: CodingKey>(_: C.Type, as: Key.Type) -> [(UInt64, Key)] {
        C.allCases.compactMap { ($0 as? Key).map { (compactKeyHash($0), $0) } }
    }
}

/// A keyed container over one frame of the decoder.
struct CompactKeyedDecodingContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: CompactDecoder
    let frame: Int
    let serial: UInt32
    let codingPath: [any CodingKey]

    var allKeys: [Key] { (try? decoder.allKeys(Key.self, in: frame, serial)) ?? [] }

    func contains(_ key: Key) -> Bool { ((try? decoder.locate(key, in: frame, serial)) ?? nil) != nil }

    func spot(_ key: Key) throws -> (index: UInt32, value: Int) {
        guard let spot = try decoder.locate(key, in: frame, serial) else {
            throw DecodingError.keyNotFound(
                key, .init(codingPath: codingPath, debugDescription: "no field \"\(key.stringValue)\""))
        }
        return spot
    }

    @inline(__always) func read<T>(_ key: Key, _ body: (Int, inout Int) throws -> T) throws -> T {
        let spot = try spot(key)
        var end = spot.value
        let value = try body(spot.value, &end)
        decoder.advance(frame, past: spot.index, to: end)
        return value
    }

    /// True only for a field written by `encodeNil`; an absent key throws `keyNotFound`.
    func decodeNil(forKey key: Key) throws -> Bool {
        let spot = try spot(key)
        guard try decoder.byte(at: spot.value) == CompactTag.null else { return false }
        decoder.advance(frame, past: spot.index, to: spot.value + 1)
        return true
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try read(key) { try decoder.bool(at: $0, end: &$1) } }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try read(key) { try decoder.string(at: $0, end: &$1) } }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try read(key) { try decoder.number(type, at: $0, end: &$1) } }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try read(key) { try decoder.number(type, at: $0, end: &$1) } }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try read(key) { try decoder.number(type, at: $0, end: &$1) } }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try read(key) { try decoder.number(type, at: $0, end: &$1) } }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try read(key) { try decoder.number(type, at: $0, end: &$1) } }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try read(key) { try decoder.number(type, at: $0, end: &$1) } }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try read(key) { try decoder.number(type, at: $0, end: &$1) } }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try read(key) { try decoder.number(type, at: $0, end: &$1) } }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try read(key) { try decoder.number(type, at: $0, end: &$1) } }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try read(key) { try decoder.number(type, at: $0, end: &$1) } }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try read(key) { try decoder.number(type, at: $0, end: &$1) } }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try read(key) { try decoder.number(type, at: $0, end: &$1) } }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try read(key) { try decoder.decodeValue(type, at: $0, end: &$1, key: key, path: codingPath) }
    }

    /// One lookup: absent and nil are nil, `some` unwraps one Optional level.
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let spot = try decoder.locate(key, in: frame, serial) else { return nil }
        var end = spot.value
        let value = try decoder.decodePresent(at: spot.value, end: &end) {
            try decoder.decodeValue(type, at: $0, end: &$1, key: key, path: codingPath)
        }
        decoder.advance(frame, past: spot.index, to: end)
        return value
    }

    /// Opens the container of a field, after noting where the field ends.
    func nested<C>(_ key: Key, _ open: (Int, Int) throws -> C) throws -> C {
        let spot = try spot(key)
        let depth = decoder.frames[frame].depth + 1
        let end = try decoder.skip(at: spot.value, depth: depth)
        let nested = try open(spot.value, depth)
        decoder.advance(frame, past: spot.index, to: end)
        return nested
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try nested(key) { try decoder.keyedContainer(type, at: $0, depth: $1, path: codingPath + [key]) }
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try nested(key) { try decoder.unkeyedContainer(at: $0, depth: $1, path: codingPath + [key]) }
    }

    func superDecoder() throws -> any Decoder { try superDecoder(key: CompactStringKey(stringValue: "super")) }
    func superDecoder(forKey key: Key) throws -> any Decoder { try superDecoder(key: key) }

    func superDecoder<K: CodingKey>(key: K) throws -> any Decoder {
        guard let spot = try decoder.locate(key, in: frame, serial) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no super field"))
        }
        let depth = decoder.frames[frame].depth + 1
        decoder.advance(frame, past: spot.index, to: try decoder.skip(at: spot.value, depth: depth))
        return CompactSuperDecoder(decoder: decoder, offset: spot.value, depth: depth, codingPath: codingPath + [key])
    }
}

/// An unkeyed container over one frame of the decoder, or the single value container of one
/// value: both protocols ask for the same methods, and one word keeps it inline in an
/// existential.
struct CompactValueDecodingContainer: UnkeyedDecodingContainer, SingleValueDecodingContainer {
    let decoder: CompactDecoder
    /// A single value: the top bit set and its offset; unkeyed: the serial and frame index.
    let word: UInt64
    let codingPath: [any CodingKey]

    init(decoder: CompactDecoder, singleValueAt offset: Int, codingPath: [any CodingKey]) {
        (self.decoder, self.word, self.codingPath) = (decoder, 1 << 63 | UInt64(offset), codingPath)
    }

    init(decoder: CompactDecoder, frame: Int, serial: UInt32, codingPath: [any CodingKey]) {
        (self.decoder, self.word, self.codingPath) = (decoder, UInt64(serial) << 32 | UInt64(frame), codingPath)
    }

    var single: Bool { word >> 63 != 0 }
    var offset: Int { Int(truncatingIfNeeded: word & 0x7FFF_FFFF_FFFF_FFFF) }
    var frame: Int { Int(truncatingIfNeeded: word & 0xFFFF_FFFF) }
    var serial: UInt32 { UInt32(truncatingIfNeeded: word >> 32) }
    var state: CompactDecodingFrame? { try? decoder.frame(frame, serial) }

    var count: Int? { state.map { Int($0.count) } }
    var isAtEnd: Bool { state.map { $0.index >= $0.count } ?? true }
    var currentIndex: Int { state.map { Int($0.index) } ?? 0 }

    /// Reads the single value, or the next element; `body` gets its offset and index.
    @inline(__always) func read<T>(_ type: T.Type, _ body: (Int, Int, inout Int) throws -> T) throws -> T {
        var end = 0
        if single {
            let value = try body(offset, 0, &end)
            (decoder.knownStart, decoder.knownEnd) = (offset, end)
            return value
        }
        let state = try decoder.frame(frame, serial)
        guard state.index < state.count else {
            throw DecodingError.valueNotFound(
                type, .init(codingPath: codingPath, debugDescription: "the unkeyed container is at its end"))
        }
        let value = try body(state.cursor, Int(state.index), &end)
        decoder.advance(frame, past: state.index, to: end)
        return value
    }

    /// Consumes the next element only when it is nil.
    func decodeNil() -> Bool {
        if single { return (try? decoder.byte(at: offset)) == CompactTag.null }
        guard let state, state.index < state.count,
            (try? decoder.byte(at: state.cursor)) == CompactTag.null
        else { return false }
        decoder.advance(frame, past: state.index, to: state.cursor + 1)
        return true
    }

    func decode(_ type: Bool.Type) throws -> Bool { try read(type) { try decoder.bool(at: $0, end: &$2) } }
    func decode(_ type: String.Type) throws -> String { try read(type) { try decoder.string(at: $0, end: &$2) } }
    func decode(_ type: Double.Type) throws -> Double { try read(type) { try decoder.number(type, at: $0, end: &$2) } }
    func decode(_ type: Float.Type) throws -> Float { try read(type) { try decoder.number(type, at: $0, end: &$2) } }
    func decode(_ type: Int.Type) throws -> Int { try read(type) { try decoder.number(type, at: $0, end: &$2) } }
    func decode(_ type: Int8.Type) throws -> Int8 { try read(type) { try decoder.number(type, at: $0, end: &$2) } }
    func decode(_ type: Int16.Type) throws -> Int16 { try read(type) { try decoder.number(type, at: $0, end: &$2) } }
    func decode(_ type: Int32.Type) throws -> Int32 { try read(type) { try decoder.number(type, at: $0, end: &$2) } }
    func decode(_ type: Int64.Type) throws -> Int64 { try read(type) { try decoder.number(type, at: $0, end: &$2) } }
    func decode(_ type: UInt.Type) throws -> UInt { try read(type) { try decoder.number(type, at: $0, end: &$2) } }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try read(type) { try decoder.number(type, at: $0, end: &$2) } }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try read(type) { try decoder.number(type, at: $0, end: &$2) } }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try read(type) { try decoder.number(type, at: $0, end: &$2) } }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try read(type) { try decoder.number(type, at: $0, end: &$2) } }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try read(type) { offset, index, end in
            if single { return try decoder.decodeValue(type, at: offset, end: &end) }
            return try decoder.decodeValue(
                type, at: offset, end: &end, key: CompactIndexKey(intValue: index), path: codingPath)
        }
    }

    /// Opens the container of the next element, after noting where the element ends.
    func nested<C>(_ open: (Int, Int, [any CodingKey]) throws -> C) throws -> C {
        let state = try decoder.frame(frame, serial)
        guard state.index < state.count else {
            throw DecodingError.valueNotFound(
                C.self, .init(codingPath: codingPath, debugDescription: "the unkeyed container is at its end"))
        }
        let end = try decoder.skip(at: state.cursor, depth: state.depth + 1)
        let nested = try open(state.cursor, state.depth + 1, codingPath + [CompactIndexKey(intValue: Int(state.index))])
        decoder.advance(frame, past: state.index, to: end)
        return nested
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try nested { try decoder.keyedContainer(type, at: $0, depth: $1, path: $2) }
    }

    func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try nested { try decoder.unkeyedContainer(at: $0, depth: $1, path: $2) }
    }

    func superDecoder() throws -> any Decoder {
        try nested { CompactSuperDecoder(decoder: decoder, offset: $0, depth: $1, codingPath: $2) }
    }
}

/// The decoder of a field or element read through `superDecoder`.
final class CompactSuperDecoder: Decoder {
    let decoder: CompactDecoder
    let offset: Int
    let depth: Int
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(decoder: CompactDecoder, offset: Int, depth: Int, codingPath: [any CodingKey]) {
        (self.decoder, self.offset, self.depth, self.codingPath) = (decoder, offset, depth, codingPath)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        try decoder.keyedContainer(type, at: offset, depth: depth, path: codingPath)
    }
    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try decoder.unkeyedContainer(at: offset, depth: depth, path: codingPath)
    }
    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        CompactValueDecodingContainer(decoder: decoder, singleValueAt: offset, codingPath: codingPath)
    }
}
