/// The on-disk format of a spill file: version 2 is written, versions 1 and 2 are read.
///
/// A header, then the payload the value's ``Spillable/spill(into:)`` wrote. All integers
/// are little-endian. The first 64 bytes are common to both versions:
///
/// | offset | size | field |
/// | --- | --- | --- |
/// | 0 | 8 | magic `MEMOSPIL` |
/// | 8 | 2 | format version (1 or 2) |
/// | 10 | 2 | header size `H` (64 in version 1; 80 + N in version 2) |
/// | 12 | 4 | flags (0) |
/// | 16 | 16 | the key the file belongs to: high, then low half |
/// | 32 | 8 | the value's type fingerprint |
/// | 40 | 8 | payload length |
/// | 48 | 16 | XXH3-128, high then low half: of the payload (version 1); of header bytes 64..<H followed by the payload (version 2) |
///
/// Version 2 adds the function the value belongs to, so an index can be rebuilt from the
/// files alone:
///
/// | offset | size | field |
/// | --- | --- | --- |
/// | 64 | 8 | function version (signed) |
/// | 72 | 4 | function name length N (at most 4,096) |
/// | 76 | 4 | reserved (0) |
/// | 80 | N | function name, UTF-8 |
///
/// Loading checks every field; any mismatch (including a file renamed under another
/// key's name, or a file of another function version) is a ``SpillFileError``, which the
/// cache turns into a miss. A version 1 file carries no function, so a caller expecting
/// one cannot check it: the key, which hashes the function's identity and version, still
/// must match. `Fixtures/spill/` holds files of both versions; changing the layout means
/// a new version.
enum SpillFileFormat {
    static let magic: [UInt8] = Array("MEMOSPIL".utf8)
    /// The version written.
    static let version: UInt16 = 2
    static let commonHeaderSize = 64
    static let version2FixedSize = 80
    static let maximumFunctionNameLength = 4096

    /// Builds the file for `value` stored under `key`, for `function`.
    static func encode<Value: Spillable>(
        _ value: Value, key: CacheKey, function: StoredFunction = .none
    ) throws -> SpillFileContents {
        var writer = SpillWriter()
        try value.spill(into: &writer)
        let payloadCount = writer.count
        let payload = writer.finish()

        let name = Array(function.recorded.name.utf8)
        var functionSection: [UInt8] = []
        functionSection.reserveCapacity(16 + name.count)
        appendLittleEndian(Int64(function.version), to: &functionSection)
        appendLittleEndian(UInt32(name.count), to: &functionSection)
        appendLittleEndian(UInt32(0), to: &functionSection)
        functionSection.append(contentsOf: name)

        var checksum = StableHasher()
        functionSection.withUnsafeBytes { checksum.write(bytes: $0) }
        for chunk in payload { chunk.withBytes { checksum.write(bytes: $0) } }
        let digest = checksum.finalize()

        let headerSize = commonHeaderSize + functionSection.count
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
        header.append(contentsOf: functionSection)
        assert(header.count == headerSize)
        return SpillFileContents(chunks: [.bytes(header)] + payload)
    }

    /// Builds the file for a value of dynamic type.
    static func encodeAny(
        _ value: any Spillable, key: CacheKey, function: StoredFunction
    ) throws -> SpillFileContents {
        try encode(value, key: key, function: function)
    }

    /// What a file's header says, checked for form but not against any expectation.
    struct Header: Equatable {
        var version: UInt16
        var headerSize: Int
        var key: CacheKey
        var typeFingerprint: UInt64
        var payloadCount: UInt64
        var checksum: CacheKey
        /// `nil` in version 1 files.
        var function: StoredFunction?
        /// Header bytes 64..<headerSize: covered by the checksum in version 2.
        var functionSection: [UInt8]
    }

    /// Reads and checks the form of a header; the stream is left at the payload.
    static func readHeader(from stream: inout SpillFileStream) throws -> Header {
        var common = [UInt8](repeating: 0, count: commonHeaderSize)
        guard try common.withUnsafeMutableBytes({ try stream.read(into: $0) }) == commonHeaderSize
        else { throw SpillFileError.truncated }
        guard common[0..<8].elementsEqual(magic) else { throw SpillFileError.badMagic }
        let version = readLittleEndian(UInt16.self, common, at: 8)
        let headerSize = Int(readLittleEndian(UInt16.self, common, at: 10))
        guard readLittleEndian(UInt32.self, common, at: 12) == 0 else {
            throw SpillFileError.badHeader
        }
        var header = Header(
            version: version, headerSize: headerSize,
            key: CacheKey(
                high: readLittleEndian(UInt64.self, common, at: 16),
                low: readLittleEndian(UInt64.self, common, at: 24)),
            typeFingerprint: readLittleEndian(UInt64.self, common, at: 32),
            payloadCount: readLittleEndian(UInt64.self, common, at: 40),
            checksum: CacheKey(
                high: readLittleEndian(UInt64.self, common, at: 48),
                low: readLittleEndian(UInt64.self, common, at: 56)),
            function: nil, functionSection: [])
        switch version {
        case 1:
            guard headerSize == commonHeaderSize else { throw SpillFileError.badHeader }
        case 2:
            guard headerSize >= version2FixedSize,
                headerSize <= version2FixedSize + maximumFunctionNameLength
            else { throw SpillFileError.badHeader }
            var section = [UInt8](repeating: 0, count: headerSize - commonHeaderSize)
            guard try section.withUnsafeMutableBytes({ try stream.read(into: $0) }) == section.count
            else { throw SpillFileError.truncated }
            let functionVersion = readLittleEndian(Int64.self, section, at: 0)
            let nameLength = Int(readLittleEndian(UInt32.self, section, at: 8))
            guard nameLength == headerSize - version2FixedSize,
                readLittleEndian(UInt32.self, section, at: 12) == 0
            else { throw SpillFileError.badHeader }
            guard let name = String(validating: section[16...], as: UTF8.self) else {
                throw SpillFileError.badHeader
            }
            header.function = StoredFunction(name: name, version: Int(functionVersion))
            header.functionSection = section
        default:
            throw SpillFileError.unsupportedVersion(version)
        }
        guard header.payloadCount == UInt64(stream.size - headerSize) else {
            throw SpillFileError.lengthMismatch(
                expected: header.payloadCount, found: stream.size - headerSize)
        }
        return header
    }

    /// Reads back a value of type `Value` that must belong to `key` (and to `function`,
    /// when given and the file records one), from a whole file's bytes.
    static func decode<Value: Spillable>(
        _ bytes: [UInt8], key: CacheKey, as type: Value.Type, function: StoredFunction? = nil
    ) throws(SpillFileError) -> Value {
        var stream = SpillFileStream(bytes: bytes)
        return try decode(from: &stream, key: key, as: Value.self, function: function)
    }

    /// Reads back a value of type `Value` that must belong to `key` (and `function`), from
    /// a stream over the file. Arrays of numbers are read straight into their own storage
    /// (one copy, from the file); any other payload is read whole, then decoded.
    static func decode<Value: Spillable>(
        from stream: inout SpillFileStream, key: CacheKey, as type: Value.Type,
        function: StoredFunction? = nil
    ) throws(SpillFileError) -> Value {
        do {
            return try decodeUnchecked(from: &stream, key: key, as: Value.self, function: function)
        } catch let error as SpillFileError {
            throw error
        } catch {
            throw .unreadable(String(describing: error))
        }
    }

    private static func decodeUnchecked<Value: Spillable>(
        from stream: inout SpillFileStream, key: CacheKey, as type: Value.Type,
        function: StoredFunction?
    ) throws -> Value {
        let header = try readHeader(from: &stream)
        guard header.key == key else { throw SpillFileError.keyMismatch(found: header.key) }
        if let function, let recorded = header.function, recorded != function.recorded {
            throw SpillFileError.functionMismatch(found: recorded)
        }
        guard header.typeFingerprint == typeFingerprint(Value.self) else {
            throw SpillFileError.typeMismatch
        }
        let payloadCount = header.payloadCount

        var checksum = StableHasher()
        header.functionSection.withUnsafeBytes { checksum.write(bytes: $0) }
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
                    expected: payloadCount, found: stream.position - header.headerSize)
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
        guard checksum.finalize() == header.checksum else { throw SpillFileError.checksumMismatch }
        return value
    }

    /// Checks a whole file without knowing its value's type: its header's form, and its
    /// checksum over the payload. What `memo verify` and index rebuilds rely on.
    static func verify(from stream: inout SpillFileStream) throws(SpillFileError) -> Header {
        do {
            let header = try readHeader(from: &stream)
            var checksum = StableHasher()
            header.functionSection.withUnsafeBytes { checksum.write(bytes: $0) }
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            var remaining = Int(header.payloadCount)
            while remaining > 0 {
                let count = min(remaining, buffer.count)
                let read = try buffer.withUnsafeMutableBytes {
                    try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[..<count]))
                }
                guard read == count else { throw SpillFileError.truncated }
                buffer.withUnsafeBytes {
                    checksum.write(bytes: UnsafeRawBufferPointer(rebasing: $0[..<count]))
                }
                remaining -= count
            }
            guard checksum.finalize() == header.checksum else {
                throw SpillFileError.checksumMismatch
            }
            return header
        } catch let error as SpillFileError {
            throw error
        } catch {
            throw .unreadable(String(describing: error))
        }
    }

    /// Reads back a value of the dynamic type `type`.
    static func decodeAny(
        from stream: inout SpillFileStream, key: CacheKey, type: any Spillable.Type,
        function: StoredFunction? = nil
    ) throws(SpillFileError) -> any Spillable {
        func open<Value: Spillable>(_: Value.Type) throws(SpillFileError) -> any Spillable {
            try decode(from: &stream, key: key, as: Value.self, function: function)
        }
        return try open(type)
    }

    /// ``typeFingerprint(_:)`` of a dynamic type.
    static func typeFingerprint(of type: any Spillable.Type) -> UInt64 {
        CacheKey(hashing: String(reflecting: type)).low
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
    /// A version 2 file of another function or function version.
    case functionMismatch(found: StoredFunction)
    case typeMismatch
    case lengthMismatch(expected: UInt64, found: Int)
    case checksumMismatch
    case payload(String)
    /// The file could not be read (an I/O error).
    case unreadable(String)

    var description: String {
        switch self {
        case .truncated: return "file shorter than its header says"
        case .badMagic: return "not a Memo spill file (bad magic)"
        case .unsupportedVersion(let version): return "unsupported format version \(version)"
        case .badHeader: return "malformed header"
        case .keyMismatch(let found): return "file belongs to key \(found.hex)"
        case .functionMismatch(let found):
            return "file belongs to function \"\(found.name)\" version \(found.version)"
        case .typeMismatch: return "file holds a value of another type"
        case .lengthMismatch(let expected, let found):
            return "payload length \(found), header says \(expected)"
        case .checksumMismatch: return "payload checksum mismatch"
        case .payload(let reason): return "payload does not decode: \(reason)"
        case .unreadable(let reason): return "file cannot be read: \(reason)"
        }
    }
}

extension StoredFunction {
    /// The function as a version 2 header records it: a name longer than
    /// ``SpillFileFormat/maximumFunctionNameLength`` UTF-8 bytes is cut there (never inside
    /// a character's bytes), and a reader compares the same cut.
    var recorded: StoredFunction {
        let bytes = Array(name.utf8)
        guard bytes.count > SpillFileFormat.maximumFunctionNameLength else { return self }
        var end = SpillFileFormat.maximumFunctionNameLength
        // Continuation bytes are 10xxxxxx: back up to the start of the scalar.
        while end > 0 && bytes[end] & 0xC0 == 0x80 { end -= 1 }
        return StoredFunction(name: String(decoding: bytes[..<end], as: UTF8.self), version: version)
    }
}
