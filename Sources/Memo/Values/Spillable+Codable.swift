#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The default for `Codable` types: a binary property list of the value.
///
/// Declaring `extension MyType: Spillable {}` is enough. The memory cost is estimated as
/// the encoded size (at least the type's inline size), so storing such a value encodes it
/// once; override ``Spillable/memoryCost`` when you know better.
extension Spillable where Self: Codable {
    /// The larger of the inline size and the encoded size.
    public var memoryCost: Int {
        let encoded = (try? CodableSpill.encode(self).count) ?? 0
        return Swift.max(MemoryLayout<Self>.size, encoded)
    }

    /// Writes the length and a binary property list of `[self]`.
    public func spill(into writer: inout SpillWriter) throws {
        let bytes = try CodableSpill.encode(self)
        writer.write(UInt64(bytes.count))
        bytes.withUnsafeBytes { writer.writeBytes($0) }
    }

    /// Decodes the property list back.
    public init(unspilling reader: inout SpillReader) throws {
        let bytes = try reader.readBytes(count: try reader.readCount())
        self = try CodableSpill.decode(Self.self, from: bytes)
    }
}

enum CodableSpill {
    /// Values are wrapped in a one-element array: property lists want a container at the
    /// top level.
    static func encode<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        let encoder = PropertyListEncoder()
        encoder.outputFormat = .binary
        return [UInt8](try encoder.encode([value]))
    }

    static func decode<Value: Decodable>(_ type: Value.Type, from bytes: [UInt8]) throws -> Value {
        let values = try PropertyListDecoder().decode([Value].self, from: Data(bytes))
        guard values.count == 1 else {
            throw SpillDecodingError.invalid(
                "a Codable payload holds \(values.count) values, not 1")
        }
        return values[0]
    }
}
