@testable import Memo
import PropertyBased
import Testing

// The stream encoder must write exactly the tree's bytes: these types exercise every
// container, and the uses of the Encoder API that only the tree can encode.

private struct KeyPart: Codable, Hashable { var x: Int8, flag: Bool }

private enum KeyShape: Codable, Equatable {
    case circle(radius: Double)
    case polygon(name: String, sides: Int, corners: [KeyPart])
    case nothing
}

private struct KeyRecord: Codable, StableHashable, Equatable {
    var id: Int
    var score: Double?
    var name: String
    var parts: [KeyPart]
    var table: [String: Int]
    var tags: Set<KeyPart>
    var shape: KeyShape
    var nested: Int??

    /// The same value, its dictionary and set rebuilt with another capacity and insertion
    /// order, so that they iterate in another order.
    func rebuilt() -> KeyRecord {
        var copy = self
        copy.table = Dictionary(minimumCapacity: 64)
        for (key, value) in table.reversed() { copy.table[key] = value }
        copy.tags = Set(minimumCapacity: 64)
        for part in tags.reversed() { copy.tags.insert(part) }
        return copy
    }
}

/// Writes a nested container's second field after a field of its parent: legal, and only
/// the tree keys it. `late` moves the late field back into order.
private struct Interleaved: Encodable, StableHashable {
    enum Outer: CodingKey { case inner, b }
    enum Inner: CodingKey { case x, y }
    var late: Bool

    func encode(to encoder: any Encoder) throws {
        var outer = encoder.container(keyedBy: Outer.self)
        var inner = outer.nestedContainer(keyedBy: Inner.self, forKey: .inner)
        try inner.encode(1, forKey: .x)
        if late {
            try outer.encode("b", forKey: .b)
            try inner.encode(2, forKey: .y)
        } else {
            try inner.encode(2, forKey: .y)
            try outer.encode("b", forKey: .b)
        }
    }
}

/// A class and its subclass sharing one container, and a super encoder.
private class Animal: Encodable {
    enum CodingKeys: CodingKey { case legs }
    var legs = 4
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(legs, forKey: .legs)
    }
}

private final class Dog: Animal, StableHashable {
    enum DogKeys: CodingKey { case name, parent }
    var name = "Rex"
    override func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: DogKeys.self)
        try container.encode(name, forKey: .name)
        try super.encode(to: encoder)
        try super.encode(to: container.superEncoder(forKey: .parent))
        try super.encode(to: container.superEncoder())
    }
}

/// Fields of a class type holding the class, then a subclass that is StableHashable: the
/// second is keyed by its digest however the first was encoded.
private struct Kennel: Encodable, StableHashable {
    var first: Animal
    var second: Animal
    var maybeFirst: Animal?
    var maybeSecond: Animal?
}

/// Catches a field's failure and goes on: what the failed field wrote must leave no trace.
private struct Forgiving: Encodable, StableHashable {
    struct Refuses: Encodable {
        struct Refused: Error {}
        func encode(to encoder: any Encoder) throws {
            var container = encoder.unkeyedContainer()
            try container.encode(7)
            throw Refused()
        }
    }
    enum CodingKeys: CodingKey { case a, b, c }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(1, forKey: .c)
        _ = try? container.encode(Refuses(), forKey: .b)
        try container.encode(2, forKey: .a)
    }
}

/// Single values, nil, unkeyed containers of everything and a value asking for nothing.
private struct Assorted: Encodable, StableHashable {
    struct Nothing: Encodable { func encode(to encoder: any Encoder) throws {} }
    struct Single: Encodable {
        var value: Int?
        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            if let value { try container.encode(value) } else { try container.encodeNil() }
        }
    }
    enum CodingKeys: String, CodingKey { case list, nothing, single, none, zebra, apple }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        var list = container.nestedUnkeyedContainer(forKey: .list)
        try list.encode(UInt16(3))
        try list.encodeNil()
        try list.encode("é")
        var row = list.nestedUnkeyedContainer()
        try row.encode(Float(-0.0))
        var pair = list.nestedContainer(keyedBy: CodingKeys.self)
        try pair.encode(true, forKey: .zebra)
        try pair.encode(Int64.min, forKey: .apple)
        try list.encode(Nothing())
        try list.encode([0.5, 1.5])
        try Nothing().encode(to: list.superEncoder())
        try container.encode(Nothing(), forKey: .nothing)
        try container.encode(Single(value: 9), forKey: .single)
        try container.encode(Single(value: nil), forKey: .none)
    }
}

/// Nests itself through an array (two values per level): as deep as one likes.
private struct Chain: Encodable { var next: [Chain] }

private struct ChainRoot: Encodable, StableHashable {
    var chain: Chain
    init(levels: Int) {
        chain = Chain(next: [])
        for _ in 0..<levels { chain = Chain(next: [chain]) }
    }
}

private func record(_ id: Int) -> KeyRecord {
    KeyRecord(
        id: id, score: id.isMultiple(of: 2) ? nil : Double(id) / 3, name: "record \(id)",
        parts: [KeyPart(x: 1, flag: true), KeyPart(x: -2, flag: false)],
        table: Dictionary(uniqueKeysWithValues: (0..<20).map { ("k\($0)", $0 * id) }),
        tags: Set((0..<20).map { KeyPart(x: Int8($0), flag: $0 & 1 == 0) }),
        shape: .polygon(name: "hex", sides: 6, corners: [KeyPart(x: 3, flag: true)]), nested: .some(nil))
}

/// The stream's digest and the tree's of one value, or nil for the stream's when it hands
/// the value to the tree.
private func digests<Value: Encodable>(_ value: Value) throws -> (stream: CacheKey?, tree: CacheKey) {
    (try StableStreamEncoder.digest(of: value), try StableEncoder.treeDigest(of: value))
}

@Suite("Keys of Encodable types: the stream encoder against the tree")
struct StableStreamEncoderTests {
    @Test("the stream writes the tree's bytes for every kind of container")
    func agreesWithTheTree() throws {
        let record = try digests(record(7))
        #expect(record.stream == record.tree)
        let assorted = try digests(Assorted())
        #expect(assorted.stream == assorted.tree)
        let dog = try digests(Dog())
        #expect(dog.stream == dog.tree)
        let forgiving = try digests(Forgiving())
        #expect(forgiving.stream == forgiving.tree)
        let kennel = Kennel(first: Animal(), second: Dog(), maybeFirst: nil, maybeSecond: Dog())
        let kennelDigests = try digests(kennel)
        #expect(kennelDigests.stream == kennelDigests.tree)
        let reversed = Kennel(first: Dog(), second: Animal(), maybeFirst: Dog(), maybeSecond: nil)
        let reversedDigests = try digests(reversed)
        #expect(reversedDigests.stream == reversedDigests.tree)
        let shapes: [KeyShape] = [.circle(radius: .nan), .nothing, .polygon(name: "", sides: 0, corners: [])]
        let shapeDigests = try digests(shapes)
        #expect(shapeDigests.stream == shapeDigests.tree)
    }

    @Test("a container used after it ended goes to the tree, and keys as if in order")
    func interleavedUseFallsBack() throws {
        let late = try digests(Interleaved(late: true))
        #expect(late.stream == nil)
        let inOrder = try digests(Interleaved(late: false))
        #expect(inOrder.stream == inOrder.tree)
        #expect(late.tree == inOrder.tree)
        #expect(CacheKey(hashing: Interleaved(late: true)) == CacheKey(hashing: Interleaved(late: false)))
    }

    @Test("a field that threw and was caught leaves no trace: the key of the other fields")
    func caughtFailureLeavesNoTrace() throws {
        // Spelled out: the name, then a keyed container of a = 2 and c = 1, in key order.
        var canonical = StableHasher()
        StableEncoder.typeName(Forgiving.self).stableHash(into: &canonical)
        canonical.write(tag: .encodedKeyed)
        canonical.write(length: 2)
        "a".stableHash(into: &canonical)
        2.stableHash(into: &canonical)
        "c".stableHash(into: &canonical)
        1.stableHash(into: &canonical)
        let expected = canonical.finalize()
        let both = try digests(Forgiving())
        #expect(both.stream == expected)
        #expect(both.tree == expected)
    }

    @Test("the stream and the tree stop at the same depth")
    func sameDepthLimit() {
        // Around 512 values deep: each level is a Chain and its array.
        for levels in 250...260 {
            let stream = Result { try StableStreamEncoder.digest(of: ChainRoot(levels: levels)) }
            let tree = Result { try StableEncoder.treeDigest(of: ChainRoot(levels: levels)) }
            switch (stream, tree) {
            case (.success(let streamKey), .success(let treeKey)): #expect(streamKey == treeKey, "\(levels) levels")
            case (.failure, .failure): break
            default: Issue.record("\(levels) levels: the stream gave \(stream), the tree \(tree)")
            }
        }
        #expect((try? StableStreamEncoder.digest(of: ChainRoot(levels: 250))) != nil)
        #expect((try? StableStreamEncoder.digest(of: ChainRoot(levels: 260))) == nil)
    }

    @Test("a pooled encoder starts clean: keys do not depend on what was keyed before")
    func poolIsClean() {
        let first = CacheKey(hashing: record(3))
        _ = CacheKey(hashing: Interleaved(late: true))
        _ = CacheKey(hashing: Assorted())
        #expect(CacheKey(hashing: record(3)) == first)
    }
}

/// Records made of generated parts.
private let keyRecords = zip(
    Gen.int(), Gen.double(in: -1e9...1e9).optional, Gen.letterOrNumber.string(of: 0...12),
    zip(Gen.int8(), Gen.bool).map { KeyPart(x: $0, flag: $1) }.array(of: 0...6),
    zip(Gen.letter.string(of: 0...6), Gen.int(in: -1_000...1_000)).dictionary(ofAtMost: 0...6)
).map { id, score, name, parts, table in
    KeyRecord(
        id: id, score: score, name: name, parts: parts, table: table, tags: Set(parts),
        shape: keyShape(id: id, name: name, parts: parts), nested: nestedOptional(id))
}

private func keyShape(id: Int, name: String, parts: [KeyPart]) -> KeyShape {
    if id.isMultiple(of: 3) { return .nothing }
    if id.isMultiple(of: 2) { return .circle(radius: Double(id) / 7) }
    return .polygon(name: name, sides: id, corners: parts)
}

private func nestedOptional(_ id: Int) -> Int?? {
    if id.isMultiple(of: 5) { return .some(nil) }
    if id.isMultiple(of: 7) { return nil }
    return .some(id)
}

@Suite("Keys of Encodable types: properties")
struct EncodableKeyPropertyTests {
    @Test("equal generated values give equal keys, whatever their dictionaries' order; the stream agrees with the tree")
    func equalValuesEqualKeys() async {
        await propertyCheck(count: 300, input: keyRecords, keyRecords) { record, other in
            let rebuilt = record.rebuilt()
            #expect(rebuilt == record)
            #expect(CacheKey(hashing: rebuilt) == CacheKey(hashing: record))
            #expect(CacheKey(hashing: [record, other]) == CacheKey(hashing: [rebuilt, other.rebuilt()]))
            if other != record { #expect(CacheKey(hashing: other) != CacheKey(hashing: record)) }
            let both = try? digests(record)
            #expect(both != nil && both?.stream == both?.tree)
        }
    }
}
