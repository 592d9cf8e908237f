@testable import Memo
import Testing

// Types keyed by their Encodable conformance alone.
private struct Window: Codable, StableHashable, Equatable {
    var width: Int
    var overlap: Double
    var labels: [String: Int]
    var kind: Kind?
}

private enum Kind: String, Codable, StableHashable { case hann, kaiser }

/// Window's twin: the same fields, another type.
private struct TwinWindow: Codable, StableHashable {
    var width: Int
    var overlap: Double
    var labels: [String: Int]
    var kind: Kind?
}

private struct Pair: Codable, StableHashable {
    var first: String
    var second: String
}

private struct Band: Codable, Hashable {
    var low: Int
    var high: Int
}

/// Dictionaries and sets whose elements are not StableHashable, at depth.
private struct Layout: Codable, StableHashable {
    var bands: [Band: [String]]
    var sets: [Set<Band>]
    var nested: [[String: [Int: Double]]]
}

private enum Outline: Codable, StableHashable {
    case circle(radius: Double)
    case square(side: Double)
    case none
}

private struct Samples: Codable, StableHashable {
    var values: [Double]
}

private struct Box<T: Encodable>: Encodable, StableHashable {
    var value: T
}

/// Writes nil explicitly, or leaves the key out, or writes nothing but an empty string or
/// array: four different values.
private struct Presence: Encodable, StableHashable {
    enum Form { case explicitNil, absent, emptyString, emptyArray }
    enum CodingKeys: CodingKey { case field }
    var form: Form

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch form {
        case .explicitNil: try container.encodeNil(forKey: .field)
        case .absent: break
        case .emptyString: try container.encode("", forKey: .field)
        case .emptyArray: try container.encode([String](), forKey: .field)
        }
    }
}

/// Encodes its fields in an order of its choosing: keys must not depend on it.
private struct Reordered: Encodable, StableHashable {
    enum CodingKeys: CodingKey { case a, b, c }
    var reversed: Bool

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        let order: [CodingKeys] = reversed ? [.c, .b, .a] : [.a, .b, .c]
        for key in order { try container.encode(key.stringValue, forKey: key) }
    }
}

private struct Unencodable: Encodable, StableHashable {
    struct Refused: Error {}
    func encode(to encoder: any Encoder) throws { throw Refused() }
}

/// A type nested in a function: its reflected name holds an address.
private func localTypeName() -> String {
    struct Local: Codable, StableHashable { var x: Int }
    return StableEncoder.typeName(Local.self)
}

@Suite("Keys of Encodable types")
struct EncodableKeyTests {
    /// 200 labels inserted in an order given by `seed`.
    private func window(seed: UInt64, width: Int = 1024) -> Window {
        var generator = SeededGenerator(seed: seed)
        var labels: [String: Int] = [:]
        for i in (0..<200).shuffled(using: &generator) { labels["label \(i)"] = i }
        return Window(width: width, overlap: 0.5, labels: labels, kind: .kaiser)
    }

    private func layout(seed: UInt64) -> Layout {
        var generator = SeededGenerator(seed: seed)
        var bands: [Band: [String]] = [:]
        var set: Set<Band> = []
        var inner: [Int: Double] = [:]
        for i in (0..<100).shuffled(using: &generator) {
            bands[Band(low: i, high: i + 1)] = ["b\(i)"]
            set.insert(Band(low: -i, high: i))
            inner[i] = Double(i) / 4
        }
        return Layout(bands: bands, sets: [set, []], nested: [["x": inner], [:]])
    }

    @Test("equal values give equal keys, whatever order their dictionaries and sets were built in")
    func orderIndependent() {
        #expect(CacheKey(hashing: window(seed: 1)) == CacheKey(hashing: window(seed: 2)))
        #expect(CacheKey(hashing: layout(seed: 1)) == CacheKey(hashing: layout(seed: 99)))
        #expect(CacheKey(hashing: Reordered(reversed: false)) == CacheKey(hashing: Reordered(reversed: true)))
    }

    @Test("every field, and which field holds what, changes the key")
    func fieldsMatter() {
        let base = window(seed: 1)
        var keys: [CacheKey] = [CacheKey(hashing: base)]
        var changed = base
        changed.width = 1025
        keys.append(CacheKey(hashing: changed))
        changed = base
        changed.overlap = 0.25
        keys.append(CacheKey(hashing: changed))
        changed = base
        changed.labels["label 7"] = 8
        keys.append(CacheKey(hashing: changed))
        changed = base
        changed.kind = .hann
        keys.append(CacheKey(hashing: changed))
        changed = base
        changed.kind = nil
        keys.append(CacheKey(hashing: changed))
        keys.append(CacheKey(hashing: Pair(first: "x", second: "y")))
        keys.append(CacheKey(hashing: Pair(first: "y", second: "x")))
        keys.append(CacheKey(hashing: Pair(first: "ab", second: "c")))
        keys.append(CacheKey(hashing: Pair(first: "a", second: "bc")))
        keys.append(CacheKey(hashing: Outline.circle(radius: 1)))
        keys.append(CacheKey(hashing: Outline.square(side: 1)))
        keys.append(CacheKey(hashing: Outline.none))
        #expect(Set(keys).count == keys.count)
    }

    @Test("a twin type with the same fields, or a generic type's other argument, is another key")
    func typesMatter() {
        let base = window(seed: 1)
        let twin = TwinWindow(
            width: base.width, overlap: base.overlap, labels: base.labels, kind: base.kind)
        #expect(CacheKey(hashing: base) != CacheKey(hashing: twin))
        #expect(CacheKey(hashing: Box(value: 1)) != CacheKey(hashing: Box(value: "1")))
        #expect(CacheKey(hashing: Box(value: 1)) != CacheKey(hashing: Box(value: Int64(1))))
        #expect(CacheKey(hashing: Box(value: 1)) == CacheKey(hashing: Box(value: 1)))
    }

    @Test("nil, an absent key, an empty string and an empty collection all differ")
    func presence() {
        let forms: [Presence.Form] = [.explicitNil, .absent, .emptyString, .emptyArray]
        let keys = Set(forms.map { CacheKey(hashing: Presence(form: $0)) })
        #expect(keys.count == 4)
    }

    @Test("a StableHashable field hashes by its own conformance: [Double] as one block")
    func stableFieldsUseTheirConformance() {
        let values = (0..<10_000).map { Double($0) * 0.5 }
        // What the encoder must write, spelled out: the tag, then the digest of the name
        // and the root, where the field is the digest of the array's own encoding (the
        // one-block path), never its elements one by one.
        var canonical = StableHasher()
        StableEncoder.typeName(Samples.self).stableHash(into: &canonical)
        canonical.write(tag: .encodedKeyed)
        canonical.write(length: 1)
        "values".stableHash(into: &canonical)
        let digest = CacheKey(hashing: values)
        canonical.write(tag: .stableDigest)
        canonical.write(digest.high)
        canonical.write(digest.low)
        let canonicalDigest = canonical.finalize()
        var expected = StableHasher()
        expected.write(tag: .encodable)
        expected.write(canonicalDigest.high)
        expected.write(canonicalDigest.low)
        let expectedKey = expected.finalize()
        #expect(CacheKey(hashing: Samples(values: values)) == expectedKey)
    }

    @Test("a Codable raw-value enum keys by its raw value, as it did before")
    func rawValueEnums() {
        var expected = StableHasher()
        expected.write(tag: .rawRepresentable)
        "hann".stableHash(into: &expected)
        let expectedKey = expected.finalize()
        #expect(CacheKey(hashing: Kind.hann) == expectedKey)
    }

    @Test("types already StableHashable keep their own encoding")
    func explicitConformancesWin() {
        var expected = StableHasher()
        expected.write(tag: .duration)
        expected.write(Int64(3))
        expected.write(Int64(0))
        let expectedKey = expected.finalize()
        #expect(CacheKey(hashing: Duration.seconds(3)) == expectedKey)
        let key = CacheKey(hashing: "x")
        var wrapped = StableHasher()
        wrapped.write(tag: .cacheKey)
        wrapped.write(key.high)
        wrapped.write(key.low)
        let wrappedKey = wrapped.finalize()
        #expect(CacheKey(hashing: key) == wrappedKey)
    }

    @Test("a private or local type's name holds no address")
    func stableNames() {
        let name = localTypeName()
        #expect(!name.contains("unknown context"))
        #expect(!name.contains("0x"))
        #expect(name == localTypeName())
        #expect(StableEncoder.typeName(Box<Int>.self) == "MemoTests.(private).Box<Swift.Int>")
        #expect(
            StableEncoder.stableName("M.(unknown context at $5560df405f68).A<M.(unknown context at $1f).B>")
                == "M.(private).A<M.(private).B>")
    }

    @Test("a value whose encode(to:) throws marks the hasher, and its digests never repeat")
    func unkeyable() {
        var first = StableHasher()
        Unencodable().stableHash(into: &first)
        let firstUnkeyable = first.isUnkeyable
        #expect(firstUnkeyable)
        var second = StableHasher()
        Unencodable().stableHash(into: &second)
        let (firstKey, secondKey) = (first.finalize(), second.finalize())
        #expect(firstKey != secondKey)
        var fine = StableHasher()
        Pair(first: "a", second: "b").stableHash(into: &fine)
        let fineUnkeyable = fine.isUnkeyable
        #expect(!fineUnkeyable)
        _ = fine.finalize()
        // Inside another value too.
        var nested = StableHasher()
        Box(value: [Unencodable()]).stableHash(into: &nested)
        let nestedUnkeyable = nested.isUnkeyable
        #expect(nestedUnkeyable)
        _ = nested.finalize()
    }
}

/// SplitMix64, for insertion orders that differ by seed.
private struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
