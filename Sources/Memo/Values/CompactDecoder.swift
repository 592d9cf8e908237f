/// A container being read, on the decoder's stack: containers' state lives here because the
/// keyed decoding API is non-mutating, and so that opening one allocates nothing.
struct CompactDecodingFrame {
    /// Where the container's tag is.
    var valueStart: Int
    /// Where its first field or element is.
    var start: Int
    /// Where the next field or element in sequence is: the fast path of in-order decoding.
    var cursor: Int
    /// How many fields or elements lie before `cursor`.
    var index: UInt32
    var count: UInt32
    /// `CompactTag.keyed`, `.named` or `.unkeyed`.
    var tag: UInt8
    /// Tells a live frame from a finished one whose slot was reused.
    var serial: UInt32
    /// How deeply the container is nested.
    var depth: Int
}

/// A spare decoder, so that decoding a small value allocates neither a decoder nor its stack.
private let compactSpareDecoder = SpareObject<CompactDecoder>()

/// The decoder of one payload, itself the `Decoder` of the value being decoded.
///
/// Every read checks the bytes remaining first, so corrupt payloads throw rather than read
/// out of bounds or allocate what a count claims. State is `@exclusivity(unchecked)` and the
/// class `@unchecked Sendable` for the same reasons as ``CompactEncoder``.
final class CompactDecoder: Decoder, @unchecked Sendable {
    @exclusivity(unchecked) var bytes = UnsafeRawBufferPointer(start: nil, count: 0)
    @exclusivity(unchecked) var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    @exclusivity(unchecked) var frames: [CompactDecodingFrame] = []
    @exclusivity(unchecked) var nextSerial: UInt32 = 0
    /// Where the value that `self`, as a `Decoder`, is decoding starts.
    @exclusivity(unchecked) var valueOffset = 0
    @exclusivity(unchecked) var depth = 0
    /// One known fact, "the value at `knownStart` ends at `knownEnd`", recorded when a
    /// container is read to its end, so that the parent need not skip the value again.
    @exclusivity(unchecked) var knownStart = -1
    @exclusivity(unchecked) var knownEnd = -1

    /// The last type found to have no fast path, to skip the conformance look-up next time.
    @exclusivity(unchecked) var lastCompositeType: ObjectIdentifier?
    @exclusivity(unchecked) var keyHashes = CompactKeyHashCache()

    /// A decoder from the pool, or a new one, reading `bytes`.
    static func take(_ bytes: UnsafeRawBufferPointer) -> CompactDecoder {
        let decoder = compactSpareDecoder.take() ?? CompactDecoder()
        decoder.bytes = bytes
        return decoder
    }

    /// Resets `decoder` and returns it to the pool.
    static func recycle(_ decoder: CompactDecoder) {
        decoder.bytes = UnsafeRawBufferPointer(start: nil, count: 0)
        decoder.codingPath.removeAll(keepingCapacity: true)
        while !decoder.frames.isEmpty { decoder.frames.removeLast() }
        (decoder.valueOffset, decoder.depth, decoder.knownStart, decoder.knownEnd) = (0, 0, -1, -1)
        compactSpareDecoder.put(decoder)
    }

    /// Decodes the top-level value, which must fill the payload.
    func decodeRoot<T: Decodable>(_ type: T.Type, at offset: Int) throws -> T {
        var end = offset
        let value = try decodeValue(type, at: offset, end: &end)
        guard end == bytes.count else {
            throw SpillDecodingError.invalid("\(bytes.count - end) bytes follow the compact value")
        }
        return value
    }

    // MARK: Bytes

    @inline(__always) func need(_ count: Int, at offset: Int) throws {
        guard offset <= bytes.count, bytes.count - offset >= count else {
            throw SpillDecodingError.truncated(needed: count, remaining: max(0, bytes.count - offset))
        }
    }

    @inline(__always) func byte(at offset: Int) throws -> UInt8 {
        try need(1, at: offset)
        return bytes[offset]
    }

    @inline(__always) func load<T: FixedWidthInteger>(_: T.Type, at offset: Int) throws -> T {
        try need(MemoryLayout<T>.size, at: offset)
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    /// A u32 count or length as an Int.
    @inline(__always) func length(at offset: Int) throws -> Int { Int(try load(UInt32.self, at: offset)) }

    /// The UTF-8 bytes of a length-prefixed string, and where they end.
    @inline(__always) func utf8(at offset: Int) throws -> (UnsafeRawBufferPointer, Int) {
        let count = try length(at: offset)
        try need(count, at: offset + 4)
        return (UnsafeRawBufferPointer(rebasing: bytes[(offset + 4)..<(offset + 4 + count)]), offset + 4 + count)
    }

    /// The error for a value of the wrong kind at `offset`.
    func mismatch(_ type: Any.Type, at offset: Int) -> any Error {
        guard let tag = try? byte(at: offset), tag <= CompactTag.labeled else {
            return SpillDecodingError.invalid("no known compact tag at byte \(offset)")
        }
        let context = DecodingError.Context(
            codingPath: codingPath, debugDescription: "expected \(type), found compact tag \(tag)")
        return tag == CompactTag.null
            ? DecodingError.valueNotFound(type, context) : DecodingError.typeMismatch(type, context)
    }

    @inline(__always) func expect(_ tag: UInt8, at offset: Int, for type: Any.Type) throws {
        guard try byte(at: offset) == tag else { throw mismatch(type, at: offset) }
    }

    // MARK: Values

    @inline(__always) func number<N: CompactNumber>(_: N.Type, at offset: Int, end: inout Int) throws -> N {
        try expect(N.compactTag, at: offset, for: N.self)
        guard let value = N(compactBits: try load(N.Bits.self, at: offset + 1)) else { throw mismatch(N.self, at: offset) }
        end = offset + 1 + MemoryLayout<N.Bits>.size
        return value
    }

    @inline(__always) func bool(at offset: Int, end: inout Int) throws -> Bool {
        try expect(CompactTag.bool, at: offset, for: Bool.self)
        end = offset + 2
        switch try byte(at: offset + 1) {
        case 0: return false
        case 1: return true
        case let other: throw SpillDecodingError.invalid("a Bool byte of \(other)")
        }
    }

    @inline(__always) func string(at offset: Int, end: inout Int) throws -> String {
        try expect(CompactTag.string, at: offset, for: String.self)
        let raw: UnsafeRawBufferPointer
        (raw, end) = try utf8(at: offset + 1)
        return try compactText(raw)
    }

    /// Reads a number block into an array with one copy.
    func block<N: CompactNumber>(_: N.Type, at offset: Int, end: inout Int) throws -> [N] {
        try expect(CompactTag.block, at: offset, for: [N].self)
        guard try byte(at: offset + 1) == N.compactTag else { throw mismatch([N].self, at: offset) }
        let count = try length(at: offset + 2)
        let width = MemoryLayout<N.Bits>.size
        try need(count * width, at: offset + 6)
        let raw = UnsafeRawBufferPointer(rebasing: bytes[(offset + 6)..<(offset + 6 + count * width)])
        end = offset + 6 + count * width
        // An empty block is `[]`: `unsafeUninitializedCapacity: 0` writes its count into
        // the standard library's shared empty-array storage, which ThreadSanitizer reports
        // as a race between two threads decoding empty blocks.
        if count == 0 { return [] }
        if compactHostIsLittleEndian && MemoryLayout<N>.stride == width {
            return [N](unsafeUninitializedCapacity: count) { storage, initialized in
                UnsafeMutableRawBufferPointer(storage).copyMemory(from: raw)
                initialized = count
            }
        }
        var array: [N] = []
        array.reserveCapacity(count)
        for index in 0..<count {
            let bits = N.Bits(littleEndian: raw.loadUnaligned(fromByteOffset: index * width, as: N.Bits.self))
            guard let value = N(compactBits: bits) else { throw mismatch([N].self, at: offset) }
            array.append(value)
        }
        return array
    }

    /// Decodes a value at `offset`, through a fast path when its type has one; sets `end` to
    /// where it ends.
    @inline(__always) func decodeValue<T: Decodable>(_ type: T.Type, at offset: Int, end: inout Int) throws -> T {
        if ObjectIdentifier(T.self) != lastCompositeType, let fast = T.self as? any CompactFastDecodable.Type {
            if fast.compactReads(tag: try byte(at: offset)) { return try decodeFast(fast, type, at: offset, end: &end) }
        } else {
            lastCompositeType = ObjectIdentifier(T.self)
        }
        return try decodeComposite(type, at: offset, end: &end)
    }

    /// Decodes the value of a field or element, `key` on the coding path of what it decodes.
    @inline(__always) func decodeValue<T: Decodable, K: CodingKey>(
        _ type: T.Type, at offset: Int, end: inout Int, key: K, path: [any CodingKey]
    ) throws -> T {
        if ObjectIdentifier(T.self) != lastCompositeType, let fast = T.self as? any CompactFastDecodable.Type {
            if fast.compactReads(tag: try byte(at: offset)) { return try decodeFast(fast, type, at: offset, end: &end) }
        } else {
            lastCompositeType = ObjectIdentifier(T.self)
        }
        var savedPath: [any CodingKey]?
        if path.count != codingPath.count { (savedPath, codingPath) = (codingPath, path) }
        codingPath.append(key)
        defer { if let savedPath { codingPath = savedPath } else { codingPath.removeLast() } }
        return try decodeComposite(type, at: offset, end: &end)
    }

    /// Calls the fast path of `F`, which is `T`.
    @inline(__always)
    func decodeFast<F: CompactFastDecodable, T>(_: F.Type, _: T.Type, at offset: Int, end: inout Int) throws -> T {
        let value = try F.compactDecode(from: self, at: offset, end: &end)
        return withUnsafePointer(to: value) { UnsafeRawPointer($0).assumingMemoryBound(to: T.self).pointee }
    }

    /// Decodes a value through its own `init(from:)`, with `self` as its decoder.
    func decodeComposite<T: Decodable>(_ type: T.Type, at offset: Int, end: inout Int) throws -> T {
        guard depth < CompactCoding.maximumDepth else { throw tooDeep() }
        let outerOffset = valueOffset
        let frameCount = frames.count
        (valueOffset, depth) = (offset, depth + 1)
        defer {
            (valueOffset, depth) = (outerOffset, depth - 1)
            while frames.count > frameCount { frames.removeLast() }
        }
        let value = try T(from: self)
        end = knownStart == offset ? knownEnd : try skip(at: offset, depth: depth)
        return value
    }

    /// Decodes a present Optional's value with `decode`: `nil`, `some` and a bare value.
    @inline(__always) func decodePresent<T>(
        at offset: Int, end: inout Int, _ decode: (Int, inout Int) throws -> T
    ) throws -> T? {
        switch try byte(at: offset) {
        case CompactTag.null: end = offset + 1; return nil
        case CompactTag.some: return try decode(offset + 1, &end)
        default: return try decode(offset, &end)
        }
    }

    func tooDeep() -> SpillDecodingError {
        .invalid("compact containers nested deeper than \(CompactCoding.maximumDepth)")
    }

    /// Where the value at `offset` ends, without decoding it; `depth` bounds the recursion.
    func skip(at offset: Int, depth: Int) throws -> Int {
        guard depth < CompactCoding.maximumDepth else { throw tooDeep() }
        let tag = try byte(at: offset)
        if let width = CompactTag.numberWidth(tag) {
            try need(width, at: offset + 1)
            return offset + 1 + width
        }
        switch tag {
        case CompactTag.null: return offset + 1
        case CompactTag.some: return try skip(at: offset + 1, depth: depth + 1)
        case CompactTag.bool: try need(1, at: offset + 1); return offset + 2
        case CompactTag.string: return try utf8(at: offset + 1).1
        case CompactTag.labeled: return try skip(at: try utf8(at: offset + 1).1, depth: depth + 1)
        case CompactTag.block:
            guard let width = CompactTag.numberWidth(try byte(at: offset + 1)) else {
                throw SpillDecodingError.invalid("a number block of tag \(bytes[offset + 1])")
            }
            let count = try length(at: offset + 2)
            try need(count * width, at: offset + 6)
            return offset + 6 + count * width
        case CompactTag.keyed, CompactTag.named, CompactTag.unkeyed:
            var cursor = offset + 5
            for _ in 0..<(try length(at: offset + 1)) {
                if tag == CompactTag.keyed { try need(8, at: cursor); cursor += 8 }
                if tag == CompactTag.named { cursor = try utf8(at: cursor).1 }
                cursor = try skip(at: cursor, depth: depth + 1)
            }
            return cursor
        default:
            throw SpillDecodingError.invalid("unknown compact tag \(tag) at byte \(offset)")
        }
    }
}

/// The string of UTF-8 bytes, which must be valid. ASCII, the common case, is checked here a
/// word at a time: `String(validating:)` looks up generic metadata on every call.
func compactText(_ raw: UnsafeRawBufferPointer) throws -> String {
    var offset = 0
    var high: UInt64 = 0
    while raw.count - offset >= 8 {
        high |= raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        offset += 8
    }
    while offset < raw.count { high |= UInt64(raw[offset]); offset += 1 }
    if high & 0x8080_8080_8080_8080 == 0 { return String(decoding: raw, as: UTF8.self) }
    guard let text = String(validating: raw.bindMemory(to: UInt8.self), as: UTF8.self) else {
        throw SpillDecodingError.invalid("a string that is not UTF-8")
    }
    return text
}
