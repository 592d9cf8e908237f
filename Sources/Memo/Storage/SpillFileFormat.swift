/// The on-disk format of a spill file, version 1.
///
/// A 64-byte header, then the payload the value's ``Spillable/spill(into:)`` wrote.
/// All integers are little-endian.
///
/// | offset | size | field |
/// | --- | --- | --- |
/// | 0 | 8 | magic `MEMOSPIL` |
/// | 8 | 2 | format version (1) |
/// | 10 | 2 | header size (64) |
/// | 12 | 4 | flags (0) |
/// | 16 | 16 | the key the file belongs to: high, then low half |
/// | 32 | 8 | the value's type fingerprint |
/// | 40 | 8 | payload length |
/// | 48 | 16 | XXH3-128 of the payload: high, then low half |
///
/// Loading checks every field; any mismatch (including a file renamed under another
/// key's name) is a ``SpillFileError``, which the cache turns into a miss.
/// `Fixtures/spill/` holds files of this version; changing the layout means a new version.
enum SpillFileFormat {
    static let magic: [UInt8] = Array("MEMOSPIL".utf8)
    static let version: UInt16 = 1
    static let headerSize = 64

    /// Builds the file for `value` stored under `key`.
    static func encode<Value: Spillable>(_ value: Value, key: CacheKey) throws -> SpillFileContents
    {
        var writer = SpillWriter()
        try value.spill(into: &writer)
        let payloadCount = writer.count
        let payload = writer.finish()
        var checksum = StableHasher()
        for chunk in payload { chunk.withBytes { checksum.write(bytes: $0) } }
        let digest = checksum.finalize()

        var header: [UInt8] = []
        header.reserveCapacity(headerSize)
        header.append(contentsOf: magic)
        appendLittleEndian(version, to: &header)
        appendLittleEndian(UInt16(headerSize), to: &header)
        appendLittleEndian(UInt32(0), to: &header)
        appendLittleEndian(key.high, to: &header)
        appendLittleEndian(key.low, to: &header)
        appendLittleEndian(typeFingerprint(Value.self), to: &header)
        appendLittleEndian(UInt64(payloadCount), to: &header)
        appendLittleEndian(digest.high, to: &header)
        appendLittleEndian(digest.low, to: &header)
        assert(header.count == headerSize)
        return SpillFileContents(chunks: [.bytes(header)] + payload)
    }

    /// Reads back a value of type `Value` that must belong to `key`, from a whole file's
    /// bytes.
    static func decode<Value: Spillable>(
        _ bytes: [UInt8], key: CacheKey, as type: Value.Type
    ) throws(SpillFileError) -> Value {
        var stream = SpillFileStream(bytes: bytes)
        return try decode(from: &stream, key: key, as: Value.self)
    }

    /// Reads back a value of type `Value` that must belong to `key`, from a stream over
    /// the file. Arrays of numbers are read straight into their own storage (one copy,
    /// from the file); any other payload is read whole, then decoded.
    static func decode<Value: Spillable>(
        from stream: inout SpillFileStream, key: CacheKey, as type: Value.Type
    ) throws(SpillFileError) -> Value {
        do {
            return try decodeUnchecked(from: &stream, key: key, as: Value.self)
        } catch let error as SpillFileError {
            throw error
        } catch {
            throw .unreadable(String(describing: error))
        }
    }

    private static func decodeUnchecked<Value: Spillable>(
        from stream: inout SpillFileStream, key: CacheKey, as type: Value.Type
    ) throws -> Value {
        var header = [UInt8](repeating: 0, count: headerSize)
        guard try header.withUnsafeMutableBytes({ try stream.read(into: $0) }) == headerSize else {
            throw SpillFileError.truncated
        }
        guard header[0..<8].elementsEqual(magic) else { throw SpillFileError.badMagic }
        let version = readLittleEndian(UInt16.self, header, at: 8)
        guard version == Self.version else { throw SpillFileError.unsupportedVersion(version) }
        guard readLittleEndian(UInt16.self, header, at: 10) == UInt16(headerSize),
            readLittleEndian(UInt32.self, header, at: 12) == 0
        else { throw SpillFileError.badHeader }
        let fileKey = CacheKey(
            high: readLittleEndian(UInt64.self, header, at: 16),
            low: readLittleEndian(UInt64.self, header, at: 24))
        guard fileKey == key else { throw SpillFileError.keyMismatch(found: fileKey) }
        guard readLittleEndian(UInt64.self, header, at: 32) == typeFingerprint(Value.self) else {
            throw SpillFileError.typeMismatch
        }
        let payloadCount = readLittleEndian(UInt64.self, header, at: 40)
        guard payloadCount == UInt64(stream.size - headerSize) else {
            throw SpillFileError.lengthMismatch(
                expected: payloadCount, found: stream.size - headerSize)
        }
        let expected = CacheKey(
            high: readLittleEndian(UInt64.self, header, at: 48),
            low: readLittleEndian(UInt64.self, header, at: 56))

        var checksum = StableHasher()
        let value: Value
        if let direct = Value.self as? any DirectSpillDecodable.Type {
            value =
                try direct.decodeDirectly(
                    from: &stream, payloadCount: Int(payloadCount), checksum: &checksum) as! Value
        } else {
            var payload = [UInt8](repeating: 0, count: Int(payloadCount))
            guard try payload.withUnsafeMutableBytes({ try stream.read(into: $0) }) == payload.count
            else {
                throw SpillFileError.lengthMismatch(
                    expected: payloadCount, found: stream.position - headerSize)
            }
            value = try payload.withUnsafeBytes { raw in
                checksum.write(bytes: raw)
                var reader = SpillReader(raw)
                let value: Value
                do {
                    value = try Value(unspilling: &reader)
                } catch {
                    throw SpillFileError.payload(String(describing: error))
                }
                guard reader.remaining == 0 else {
                    throw SpillFileError.payload("\(reader.remaining) bytes left after the value")
                }
                return value
            }
        }
        // The checksum decides last: a value built from damaged bytes is dropped here.
        guard checksum.finalize() == expected else { throw SpillFileError.checksumMismatch }
        return value
    }

    /// Reads back a value of the dynamic type `type`.
    static func decodeAny(
        from stream: inout SpillFileStream, key: CacheKey, type: any Spillable.Type
    ) throws(SpillFileError) -> any Spillable {
        func open<Value: Spillable>(_: Value.Type) throws(SpillFileError) -> any Spillable {
            try decode(from: &stream, key: key, as: Value.self)
        }
        return try open(type)
    }

    /// A 64-bit digest of the value's fully qualified type name, so a file is never read
    /// back as another type.
    static func typeFingerprint<Value>(_ type: Value.Type) -> UInt64 {
        CacheKey(hashing: String(reflecting: type)).low
    }

    private static func appendLittleEndian<Integer: FixedWidthInteger>(
        _ value: Integer, to bytes: inout [UInt8]
    ) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private static func readLittleEndian<Integer: FixedWidthInteger>(
        _ type: Integer.Type, _ bytes: [UInt8], at offset: Int
    ) -> Integer {
        bytes.withUnsafeBytes { raw in
            Integer(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Integer.self))
        }
    }
}

/// Why a spill file could not be loaded. Each one is a miss and a counted failure.
enum SpillFileError: Error, Equatable, CustomStringConvertible {
    case truncated
    case badMagic
    case unsupportedVersion(UInt16)
    case badHeader
    case keyMismatch(found: CacheKey)
    case typeMismatch
    case lengthMismatch(expected: UInt64, found: Int)
    case checksumMismatch
    case payload(String)
    /// The file could not be read (an I/O error).
    case unreadable(String)

    var description: String {
        switch self {
        case .truncated: return "file shorter than its header"
        case .badMagic: return "not a Memo spill file (bad magic)"
        case .unsupportedVersion(let version): return "unsupported format version \(version)"
        case .badHeader: return "malformed header"
        case .keyMismatch(let found): return "file belongs to key \(found.hex)"
        case .typeMismatch: return "file holds a value of another type"
        case .lengthMismatch(let expected, let found):
            return "payload length \(found), header says \(expected)"
        case .checksumMismatch: return "payload checksum mismatch"
        case .payload(let reason): return "payload does not decode: \(reason)"
        case .unreadable(let reason): return "file cannot be read: \(reason)"
        }
    }
}
