#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The default for `Codable` types: the value in Memo's compact binary encoding
/// (``CompactCoding``, described in the spill file format article).
///
/// Declaring `extension MyType: Spillable {}` is enough. The memory cost is the encoded
/// size (at least the type's inline size), found by a counting pass that writes no bytes;
/// override ``Spillable/memoryCost`` when you know better.
extension Spillable where Self: Codable {
    /// The larger of the inline size and the encoded size.
    public var memoryCost: Int {
        let encoded = (try? CompactCoding.encodedCount(of: self)) ?? 0
        return Swift.max(MemoryLayout<Self>.size, encoded)
    }

    /// Writes the length and the compact encoding of the value, straight into the payload.
    public func spill(into writer: inout SpillWriter) throws {
        try writer.writeCodable(self)
    }

    /// Decodes the payload back, in place: the compact encoding, or the binary property
    /// list that releases before it wrote (their files still load).
    public init(unspilling reader: inout SpillReader) throws {
        let count = try reader.readCount()
        self = try reader.withBytes(count: count) { bytes in
            if bytes.first == CompactCoding.formatVersion {
                return try CompactCoding.decode(Self.self, from: bytes)
            }
            return try PropertyListPayload.decode(Self.self, from: bytes)
        }
    }
}

/// The `Codable` payloads of releases before the compact encoding: a binary property list
/// of a one-element array (property lists want a container at the top level). Read only.
enum PropertyListPayload {
    static func decode<Value: Decodable>(
        _ type: Value.Type, from bytes: UnsafeRawBufferPointer
    ) throws -> Value {
        guard bytes.starts(with: Array("bplist".utf8)) else {
            throw SpillDecodingError.invalid(
                "a Codable payload starts with neither the compact encoding's version "
                    + "\(CompactCoding.formatVersion) nor a property list's \"bplist\"")
        }
        let values = try PropertyListDecoder().decode([Value].self, from: Data(bytes))
        guard values.count == 1 else {
            throw SpillDecodingError.invalid(
                "a Codable payload holds \(values.count) values, not 1")
        }
        return values[0]
    }
}
