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
    static func encode<Value: Spillable>(_ value: Value, key: CacheKey) throws -> SpillFileContents {
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

    /// Reads back a value of type `Value` that must belong to `key`.
    static func decode<Value: Spillable>(
        _ bytes: [UInt8], key: CacheKey, as type: Value.Type
    ) throws(SpillFileError) -> Value {
        guard bytes.count >= headerSize else { throw .truncated }
        guard bytes[0..<8].elementsEqual(magic) else { throw .badMagic }
        let version = readLittleEndian(UInt16.self, bytes, at: 8)
        guard version == Self.version else { throw .unsupportedVersion(version) }
        guard readLittleEndian(UInt16.self, bytes, at: 10) == UInt16(headerSize),
            readLittleEndian(UInt32.self, bytes, at: 12) == 0
        else { throw .badHeader }
        let fileKey = CacheKey(
            high: readLittleEndian(UInt64.self, bytes, at: 16),
            low: readLittleEndian(UInt64.self, bytes, at: 24))
        guard fileKey == key else { throw .keyMismatch(found: fileKey) }
        guard readLittleEndian(UInt64.self, bytes, at: 32) == typeFingerprint(Value.self) else {
            throw .typeMismatch
        }
        let payloadCount = readLittleEndian(UInt64.self, bytes, at: 40)
        guard payloadCount == UInt64(bytes.count - headerSize) else {
            throw .lengthMismatch(expected: payloadCount, found: bytes.count - headerSize)
        }
        let expected = CacheKey(
            high: readLittleEndian(UInt64.self, bytes, at: 48),
            low: readLittleEndian(UInt64.self, bytes, at: 56))
        let decoded: Result<Value, SpillFileError> = bytes.withUnsafeBytes { raw in
            let payload = UnsafeRawBufferPointer(rebasing: raw[headerSize...])
            var checksum = StableHasher()
            checksum.write(bytes: payload)
            guard checksum.finalize() == expected else { return .failure(.checksumMismatch) }
            var reader = SpillReader(payload)
            do {
                let value = try Value(unspilling: &reader)
                guard reader.remaining == 0 else {
                    return .failure(.payload("\(reader.remaining) bytes left after the value"))
                }
                return .success(value)
            } catch {
                return .failure(.payload(String(describing: error)))
            }
        }
        return try decoded.get()
    }

    /// Reads back a value of the dynamic type `type`.
    static func decodeAny(
        _ bytes: [UInt8], key: CacheKey, type: any Spillable.Type
    ) throws(SpillFileError) -> any Spillable {
        func open<Value: Spillable>(_: Value.Type) throws(SpillFileError) -> any Spillable {
            try decode(bytes, key: key, as: Value.self)
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
        }
    }
}
