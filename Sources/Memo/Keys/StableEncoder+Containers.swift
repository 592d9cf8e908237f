extension StableEncoder {
    /// The node of a number or a string: the bytes its own `StableHashable` conformance
    /// writes (the tag, then the little-endian memory; the tag, the length, the UTF-8),
    /// with no digest. `nil` for any other type.
    func encodeNumberOrString<T>(_ value: T) -> Int? {
        if T.self == String.self {
            var text = unsafeBitCast(value, to: String.self)
            return bytesNode { bytes in
                text.withUTF8 { utf8 in
                    bytes.append(StableTypeTag.string.rawValue)
                    Self.append(UInt64(utf8.count), to: &bytes)
                    bytes.append(contentsOf: utf8)
                }
            }
        }
        #if _endian(little) && _pointerBitWidth(_64)
            // A number's canonical bytes are its tag and its memory (`Int` is 8 bytes).
            guard let number = T.self as? any StableHashableNumber.Type else { return nil }
            return bytesNode { bytes in
                bytes.append(number.stableTag.rawValue)
                withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) }
            }
        #else
            return nil
        #endif
    }
}

/// The `Encoder` a value's `encode(to:)` sees: one node of a ``StableEncoder``'s tree.
struct StableNodeEncoder: Encoder {
    let encoder: StableEncoder
    let node: Int
    var codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(
            StableKeyedContainer<Key>(
                encoder: encoder, list: encoder.keyedList(of: node), codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        StableUnkeyedContainer(
            encoder: encoder, list: encoder.unkeyedList(of: node), codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        StableSingleValueContainer(encoder: encoder, node: node, codingPath: codingPath)
    }
}

/// A keyed container: each field is a node, hashed in the order of the keys.
struct StableKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: StableEncoder
    let list: Int
    var codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws {
        encoder.addField(list, key.stringValue, encoder.newNode(.nilValue))
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        let node = try encoder.encodeValue(value, codingPath: codingPath + [key])
        encoder.addField(list, key.stringValue, node)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let node = encoder.newNode()
        encoder.addField(list, key.stringValue, node)
        return KeyedEncodingContainer(
            StableKeyedContainer<NestedKey>(
                encoder: encoder, list: encoder.keyedList(of: node), codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let node = encoder.newNode()
        encoder.addField(list, key.stringValue, node)
        return StableUnkeyedContainer(
            encoder: encoder, list: encoder.unkeyedList(of: node), codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder {
        superEncoder(named: "super", codingPath: codingPath)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        superEncoder(named: key.stringValue, codingPath: codingPath + [key])
    }

    private func superEncoder(named name: String, codingPath: [any CodingKey]) -> any Encoder {
        let node = encoder.newNode()
        encoder.addField(list, name, node)
        return StableNodeEncoder(encoder: encoder, node: node, codingPath: codingPath)
    }
}

/// An unkeyed container: its elements in order.
struct StableUnkeyedContainer: UnkeyedEncodingContainer {
    let encoder: StableEncoder
    let list: Int
    var codingPath: [any CodingKey]
    var count: Int { encoder.unkeyedElements[list].count }

    mutating func encodeNil() throws {
        encoder.addElement(list, encoder.newNode(.nilValue))
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let node = try encoder.encodeValue(value, codingPath: codingPath)
        encoder.addElement(list, node)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type
    ) -> KeyedEncodingContainer<NestedKey> {
        let node = encoder.newNode()
        encoder.addElement(list, node)
        return KeyedEncodingContainer(
            StableKeyedContainer<NestedKey>(
                encoder: encoder, list: encoder.keyedList(of: node), codingPath: codingPath))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let node = encoder.newNode()
        encoder.addElement(list, node)
        return StableUnkeyedContainer(
            encoder: encoder, list: encoder.unkeyedList(of: node), codingPath: codingPath)
    }

    mutating func superEncoder() -> any Encoder {
        let node = encoder.newNode()
        encoder.addElement(list, node)
        return StableNodeEncoder(encoder: encoder, node: node, codingPath: codingPath)
    }
}

/// A single value: the node becomes the value's node.
struct StableSingleValueContainer: SingleValueEncodingContainer {
    let encoder: StableEncoder
    let node: Int
    var codingPath: [any CodingKey]

    mutating func encodeNil() throws {
        encoder.set(node, to: .nilValue)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let child = try encoder.encodeValue(value, codingPath: codingPath)
        encoder.set(node, to: encoder.nodes[child])
    }
}
