import Synchronization

/// The canonical `Encoder` behind ``StableHashable`` for `Encodable` types.
///
/// A value's `encode(to:)` builds a small tree here (keyed and unkeyed containers, and the
/// canonical bytes of what they hold), which is then serialized with every keyed
/// container's fields in the order of their keys' UTF-8 bytes, whatever order
/// `encode(to:)` wrote them in. The tree defines the encoding and handles any use of the
/// `Encoder` API; ``StableStreamEncoder`` writes the same bytes without building it, and
/// hands back to the tree a value that writes to a container after it ended. What is
/// hashed:
///
/// ```
/// value      := 0x80 digest(name root)      XXH3-128 of the name, a String (below), and
///                                           the root; the hasher gets 17 bytes whatever
///                                           the value's size
/// node       := keyed | unkeyed | nil | empty | canonical bytes | digest | unordered
/// keyed      := 0x81 count (key node)*      fields sorted by key; key as a String
/// unkeyed    := 0x82 count node*            in order
/// nil        := 0x83                        encodeNil
/// empty      := 0x85                        a value that asked for no container
/// numbers, strings: the bytes of their own conformance (tag, little-endian memory; tag,
///                   length, UTF-8)
/// digest     := 0x84 digest(16)             any other StableHashable value, by the digest
///                                           of its own encoding ([Double] as one block)
/// unordered  := 0x40|0x41 count digest*     a Dictionary or Set whose entries are not
///                                           StableHashable: each entry (key then value)
///                                           hashed alone, the digests sorted
/// ```
///
/// The name is `String(reflecting:)` of the type (`Module.Outer.Window<Swift.Int>`), with
/// `(private)` for the address Swift prints in the name of a private or local type.
final class StableEncoder {
    /// What a node of the tree holds.
    enum Node {
        /// Nothing yet: a value that asks for no container stays so (hashed as empty).
        case pending
        /// A keyed container: its fields are `keyedFields[list]`.
        case keyed(list: Int)
        /// An unkeyed container: its elements are `unkeyedElements[list]`.
        case unkeyed(list: Int)
        /// Canonical bytes, `bytes[start..<end]`.
        case bytes(start: Int, end: Int)
        /// `encodeNil()`.
        case nilValue
    }

    private(set) var nodes: [Node] = []
    private(set) var keyedFields: [[(key: String, node: Int)]] = []
    private(set) var unkeyedElements: [[Int]] = []
    private(set) var bytes: [UInt8] = []
    /// A misuse found where the `Encoder` API cannot throw; thrown when the value ends.
    var misuse: (any Error)?
    private var depth = 0

    /// How deeply values may nest: a cyclic class graph fails instead of overflowing.
    static let maximumDepth = 512

    // MARK: Entry points

    /// Writes the tag and the digest of the canonical encoding of `value` into `hasher`, or
    /// marks it unkeyable when `encode(to:)` throws. The stream encoder writes it; the
    /// tree, only for a value that uses a container after it ended.
    static func hash<Value: Encodable>(_ value: Value, into hasher: inout StableHasher) {
        hasher.write(tag: .encodable)
        do {
            let digest = try StableStreamEncoder.digest(of: value) ?? treeDigest(of: value)
            hasher.write(digest.high)
            hasher.write(digest.low)
        } catch {
            hasher.markUnkeyable()
            lastFailure.withTrackedLock { $0 = "\(Value.self): \(error)" }
        }
    }

    /// The digest of the type's name and the canonical encoding of `value`, by the tree.
    static func treeDigest<Value: Encodable>(of value: Value) throws -> CacheKey {
        let encoder = StableEncoder()
        let root = encoder.newNode()
        try value.encode(to: StableNodeEncoder(encoder: encoder, node: root, codingPath: []))
        if let misuse = encoder.misuse { throw misuse }
        var hasher = StableHasher()
        typeName(Value.self).stableHash(into: &hasher)
        encoder.serialize(root, into: &hasher)
        return hasher.finalize()
    }

    /// The digest of one entry of an unordered collection: `parts` encoded in turn.
    static func digest(of parts: [any Encodable]) throws -> CacheKey {
        try StableStreamEncoder.digest(of: parts) ?? treeDigest(of: parts)
    }

    /// The digest of one entry of an unordered collection, by the tree.
    static func treeDigest(of parts: [any Encodable]) throws -> CacheKey {
        let encoder = StableEncoder()
        let roots = try parts.map { part in try encoder.encodeValue(part, codingPath: []) }
        if let misuse = encoder.misuse { throw misuse }
        var hasher = StableHasher()
        for root in roots { encoder.serialize(root, into: &hasher) }
        return hasher.finalize()
    }

    /// The last value that could not be keyed and why, for the log.
    static let lastFailure = Mutex<String?>(nil)

    /// The name hashed for `type`, computed once per type.
    static func typeName(_ type: Any.Type) -> String {
        let id = ObjectIdentifier(type)
        if let known = typeNames.withTrackedLock({ $0[id] }) { return known }
        let name = stableName(String(reflecting: type))
        typeNames.withTrackedLock { $0[id] = name }
        return name
    }

    /// `reflected` without the addresses Swift prints for private and local contexts
    /// (`(unknown context at $55d1e0a3f2c8)`), which differ from process to process:
    /// each becomes `(private)`. (Two private types of one name in one module, in
    /// different files, then share a name; their fields still tell them apart.)
    static func stableName(_ reflected: String) -> String {
        let marker = "(unknown context at $"
        guard reflected.contains(marker) else { return reflected }
        var result = ""
        var rest = Substring(reflected)
        while let range = rest.firstRange(of: marker) {
            result += rest[..<range.lowerBound]
            result += "(private)"
            rest = rest[range.upperBound...]
            if let close = rest.firstIndex(of: ")") { rest = rest[rest.index(after: close)...] }
        }
        return result + rest
    }

    private static let typeNames = Mutex<[ObjectIdentifier: String]>([:])

    // MARK: Building the tree

    func newNode(_ node: Node = .pending) -> Int {
        nodes.append(node)
        return nodes.count - 1
    }

    func set(_ node: Int, to value: Node) { nodes[node] = value }

    /// The field list of `node`, made a keyed container if it was pending.
    func keyedList(of node: Int) -> Int {
        switch nodes[node] {
        case .keyed(let list): return list
        case .pending:
            keyedFields.append([])
            nodes[node] = .keyed(list: keyedFields.count - 1)
            return keyedFields.count - 1
        default:
            misuse = EncodingError.invalidValue(
                node, .init(codingPath: [], debugDescription: "a keyed container asked for twice"))
            keyedFields.append([])
            return keyedFields.count - 1
        }
    }

    /// The element list of `node`, made an unkeyed container if it was pending.
    func unkeyedList(of node: Int) -> Int {
        switch nodes[node] {
        case .unkeyed(let list): return list
        case .pending:
            unkeyedElements.append([])
            nodes[node] = .unkeyed(list: unkeyedElements.count - 1)
            return unkeyedElements.count - 1
        default:
            misuse = EncodingError.invalidValue(
                node, .init(codingPath: [], debugDescription: "an unkeyed container asked for twice"))
            unkeyedElements.append([])
            return unkeyedElements.count - 1
        }
    }

    func addField(_ list: Int, _ key: String, _ node: Int) {
        keyedFields[list].append((key, node))
    }

    func addElement(_ list: Int, _ node: Int) {
        unkeyedElements[list].append(node)
    }

    /// A node of canonical bytes, written by `write`.
    func bytesNode(_ write: (inout [UInt8]) -> Void) -> Int {
        let start = bytes.count
        write(&bytes)
        return newNode(.bytes(start: start, end: bytes.count))
    }

    /// The node of one value: numbers and strings as their own conformances' bytes, other
    /// `StableHashable` values by the digest of their own encoding, dictionaries and sets
    /// entry by entry, anything else through its `encode(to:)`.
    func encodeValue<T: Encodable>(_ value: T, codingPath: @autoclosure () -> [any CodingKey])
        throws -> Int
    {
        if let node = encodeNumberOrString(value) { return node }
        if let stable = value as? any StableHashable {
            var child = StableHasher()
            stable.stableHash(into: &child)
            if child.isUnkeyable {
                _ = child.finalize()
                throw EncodingError.invalidValue(
                    value, .init(codingPath: codingPath(), debugDescription: "cannot be keyed"))
            }
            let digest = child.finalize()
            return bytesNode { bytes in
                bytes.append(StableTypeTag.stableDigest.rawValue)
                Self.append(digest.high, to: &bytes)
                Self.append(digest.low, to: &bytes)
            }
        }
        if let unordered = value as? any StableUnorderedEncodable {
            let (tag, digests) = try unordered.stableEntryDigests()
            return bytesNode { bytes in
                bytes.append(tag.rawValue)
                Self.append(UInt64(digests.count), to: &bytes)
                for digest in digests.sorted() {
                    Self.append(digest.high, to: &bytes)
                    Self.append(digest.low, to: &bytes)
                }
            }
        }
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else {
            throw EncodingError.invalidValue(
                value, .init(codingPath: codingPath(), debugDescription: "nested too deeply"))
        }
        let node = newNode()
        try value.encode(to: StableNodeEncoder(encoder: self, node: node, codingPath: codingPath()))
        return node
    }

    // MARK: Writing into the hasher

    /// Writes `node` and what it holds, keyed fields in key order.
    func serialize(_ node: Int, into hasher: inout StableHasher) {
        switch nodes[node] {
        case .pending:
            hasher.write(tag: .encodedEmpty)
        case .nilValue:
            hasher.write(tag: .encodedNil)
        case .bytes(let start, let end):
            bytes.withUnsafeBytes { hasher.write(bytes: UnsafeRawBufferPointer(rebasing: $0[start..<end])) }
        case .unkeyed(let list):
            hasher.write(tag: .encodedUnkeyed)
            hasher.write(length: unkeyedElements[list].count)
            for element in unkeyedElements[list] { serialize(element, into: &hasher) }
        case .keyed(let list):
            let fields = keyedFields[list]
            hasher.write(tag: .encodedKeyed)
            hasher.write(length: fields.count)
            for index in Self.keyOrder(fields) {
                fields[index].key.stableHash(into: &hasher)
                serialize(fields[index].node, into: &hasher)
            }
        }
    }

    /// The fields' indices in the order of their keys' UTF-8 bytes (a key written twice
    /// keeps its writing order).
    static func keyOrder(_ fields: [(key: String, node: Int)]) -> [Int] {
        fields.indices.sorted { a, b in
            let (first, second) = (fields[a].key, fields[b].key)
            if first == second { return a < b }
            return first.utf8.lexicographicallyPrecedes(second.utf8)
        }
    }

    static func append<Integer: FixedWidthInteger>(_ value: Integer, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}

/// A `Dictionary` or `Set` of `Encodable` values: hashed entry by entry, so that the order
/// the process iterates them in (seeded per process) never changes the key.
protocol StableUnorderedEncodable {
    /// The tag of the collection and the digest of each entry.
    func stableEntryDigests() throws -> (tag: StableTypeTag, digests: [CacheKey])
}

extension Dictionary: StableUnorderedEncodable where Key: Encodable, Value: Encodable {
    func stableEntryDigests() throws -> (tag: StableTypeTag, digests: [CacheKey]) {
        (.dictionary, try map { key, value in try StableEncoder.digest(of: [key, value]) })
    }
}

extension Set: StableUnorderedEncodable where Element: Encodable {
    func stableEntryDigests() throws -> (tag: StableTypeTag, digests: [CacheKey]) {
        (.set, try map { element in try StableEncoder.digest(of: [element]) })
    }
}
