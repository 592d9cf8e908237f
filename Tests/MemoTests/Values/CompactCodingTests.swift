import Foundation
import PropertyBased
import Testing

@testable import Memo

// MARK: Helpers

/// Encodes `value` after some bytes already in the buffer, checks that `encodedCount` matches
/// what was appended, and decodes the payload back.
private func compactRoundTrip<T: Codable>(_ value: T, as type: T.Type = T.self) throws -> T {
    var buffer: [UInt8] = [0xAA, 0xBB]
    try CompactCoding.encode(value, appendingTo: &buffer)
    #expect(try CompactCoding.encodedCount(of: value) == buffer.count - 2)
    #expect(buffer[2] == CompactCoding.formatVersion)
    return try buffer.dropFirst(2).withUnsafeBytes { try CompactCoding.decode(type, from: $0) }
}

/// The payload of `value` alone.
private func compactPayload<T: Encodable>(_ value: T) throws -> [UInt8] {
    var buffer: [UInt8] = []
    try CompactCoding.encode(value, appendingTo: &buffer)
    return buffer
}

private func compactDecode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) throws -> T {
    try bytes.withUnsafeBytes { try CompactCoding.decode(type, from: $0) }
}

/// A seeded generator (SplitMix64), so that the corruption loop is reproducible.
private struct CompactSplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

// MARK: Fixture types

private struct CompactNumbers: Codable, Equatable {
    var int = Int.min, int8 = Int8.min, int16 = Int16.max, int32 = Int32.min, int64 = Int64.max
    var uint = UInt.max, uint8 = UInt8.max, uint16 = UInt16(7), uint32 = UInt32.max, uint64 = UInt64.max
    var float: Float = 1.5, double = -2.25, flag = true, off = false, text = "peak"
}

private struct CompactOptionals: Codable, Equatable {
    var plain: Int?
    var double: Int??
    var list: [Int??]
}

private enum CompactShape: Codable, Equatable {
    case circle(radius: Double)
    case rect(Double, Double)
    case named(String, sides: Int?)
    case empty
}

private enum CompactPlain: Codable, Equatable { case north, south }
private enum CompactColour: String, Codable { case red, green }

private struct CompactPoint: Codable, Hashable { var x: Int, y: Int }

private struct CompactPeak: Codable, Equatable, Sendable {
    var frequency: Double
    var power: Double
    var label: String
}

private class CompactAnimal: Codable {
    var name: String
    init(name: String) { self.name = name }
}

private final class CompactDog: CompactAnimal {
    var breed: String
    init(name: String, breed: String) {
        self.breed = breed
        super.init(name: name)
    }
    enum CodingKeys: String, CodingKey { case breed }
    override func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(breed, forKey: .breed)
        try super.encode(to: container.superEncoder())
    }
    required init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        breed = try container.decode(String.self, forKey: .breed)
        try super.init(from: container.superDecoder())
    }
}

/// Encodes a, b, c and decodes c, a, b: the out-of-order path.
private struct CompactShuffled: Codable, Equatable {
    var a: Int, b: String, c: [Double]
    enum CodingKeys: CodingKey { case a, b, c }
    init(a: Int, b: String, c: [Double]) { (self.a, self.b, self.c) = (a, b, c) }
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        c = try container.decode([Double].self, forKey: .c)
        a = try container.decode(Int.self, forKey: .a)
        b = try container.decode(String.self, forKey: .b)
    }
}

/// Writes `note` only when it is set and reads it back through `contains`.
private struct CompactSparse: Codable, Equatable {
    var id: Int
    var note: String?
    enum CodingKeys: CodingKey { case id, note }
    init(id: Int, note: String?) { (self.id, self.note) = (id, note) }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        if let note { try container.encode(note, forKey: .note) }
    }
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(Int.self, forKey: .id)
        note = container.contains(.note) ? try container.decode(String.self, forKey: .note) : nil
    }
}

/// One field explicitly nil, one absent; decoding records what the container says.
private struct CompactNilProbe: Codable {
    enum CodingKeys: CodingKey { case explicit, absent }
    var containsExplicit = false, containsAbsent = true, explicitIsNil = false
    var absentNilThrows = false, explicitIfPresent: Int? = 0, absentIfPresent: Int? = 0
    init() {}
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeNil(forKey: .explicit)
        try container.encodeIfPresent(Int?.none, forKey: .absent)
    }
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        containsExplicit = container.contains(.explicit)
        containsAbsent = container.contains(.absent)
        explicitIsNil = try container.decodeNil(forKey: .explicit)
        absentNilThrows = (try? container.decodeNil(forKey: .absent)) == nil
        explicitIfPresent = try container.decodeIfPresent(Int.self, forKey: .explicit)
        absentIfPresent = try container.decodeIfPresent(Int.self, forKey: .absent)
    }
}

/// Nests itself through an array: a payload of it can be made arbitrarily deep.
private struct CompactNest: Codable { var children: [CompactNest] }

private struct CompactSmall: Codable, Equatable, Sendable { var x: Int8, flag: Bool }

private struct CompactRecord: Codable, Equatable, Sendable {
    var id: Int
    var score: Double?
    var name: String
    var parts: [CompactSmall]
    var table: [String: Int]
}

/// Something of every kind, for the corruption tests.
private struct CompactRich: Codable, Equatable {
    var peaks = [CompactPeak(frequency: 1, power: 2, label: "a"), CompactPeak(frequency: 3, power: 4, label: "b")]
    var shape = CompactShape.named("hex", sides: 6)
    var table: [String: [Int]] = ["x": [1, 2], "y": []]
    var points: [CompactPoint: String] = [CompactPoint(x: 1, y: 2): "p"]
    var maybe: Int?? = .some(nil)
    var samples: [Double] = [0.5, -1, 2]
}

// MARK: Tests

@Suite("Compact coding")
struct CompactCodingTests {
    @Test("a struct of every number type, Bool and String round-trips")
    func numbers() throws {
        var value = CompactNumbers()
        #expect(try compactRoundTrip(value) == value)
        value.int = 42
        value.text = ""
        #expect(try compactRoundTrip(value) == value)
    }

    @Test("nested optionals keep .some(nil) apart from nil")
    func nestedOptionals() throws {
        for value: Int?? in [.none, .some(.none), .some(.some(7))] {
            #expect(try compactRoundTrip(value) == value)
        }
        let triple: Int??? = .some(.some(.none))
        #expect(try compactRoundTrip(triple) == triple)
        for plain: Int? in [nil, 3] {
            for double: Int?? in [.none, .some(.none), .some(.some(-1))] {
                let value = CompactOptionals(plain: plain, double: double, list: [nil, .some(nil), 5])
                #expect(try compactRoundTrip(value) == value)
            }
        }
    }

    @Test("enums with and without associated values round-trip")
    func enums() throws {
        for shape in [CompactShape.circle(radius: 2), .rect(3, 4), .named("tri", sides: nil), .named("sq", sides: 4), .empty] {
            #expect(try compactRoundTrip(shape) == shape)
        }
        #expect(try compactRoundTrip([CompactPlain.north, .south]) == [.north, .south])
        #expect(try compactRoundTrip(CompactColour.green) == .green)
    }

    @Test("dictionaries keyed by String, Int and a struct round-trip")
    func dictionaries() throws {
        let byName = ["one": 1, "two": 2, "": 0, "ünï": -5]
        #expect(try compactRoundTrip(byName) == byName)
        let byNumber = [1: "one", -7: "minus seven", 0: ""]
        #expect(try compactRoundTrip(byNumber) == byNumber)
        let byPoint = [CompactPoint(x: 1, y: 2): "a", CompactPoint(x: -3, y: 0): "b"]
        #expect(try compactRoundTrip(byPoint) == byPoint)
        let nested: [String: [Int: CompactPeak]] = ["k": [3: CompactPeak(frequency: 1, power: 2, label: "x")]]
        #expect(try compactRoundTrip(nested) == nested)
    }

    @Test("sets and nested arrays round-trip")
    func collections() throws {
        let numbers: Set<Int> = [1, 5, 9, -2]
        #expect(try compactRoundTrip(numbers) == numbers)
        let words: Set<String> = ["a", "b", "ç"]
        #expect(try compactRoundTrip(words) == words)
        let grid: [[Double]] = [[1, 2], [], [3]]
        #expect(try compactRoundTrip(grid) == grid)
        let deep: [[[String]]] = [[["a"], []], []]
        #expect(try compactRoundTrip(deep) == deep)
        let bools = [true, false, true]
        #expect(try compactRoundTrip(bools) == bools)
    }

    @Test("-0.0, NaN payloads and infinities keep their bit patterns")
    func specialFloats() throws {
        let doubles = [-0.0, Double(nan: 0x1234, signaling: false), .infinity, -.infinity, .leastNonzeroMagnitude]
        for value in doubles {
            #expect(try compactRoundTrip(value).bitPattern == value.bitPattern)
        }
        #expect(try compactRoundTrip(doubles).map(\.bitPattern) == doubles.map(\.bitPattern))
        let floats: [Float] = [-0.0, Float(nan: 0x55, signaling: false), .infinity, -.infinity]
        #expect(try compactRoundTrip(floats).map(\.bitPattern) == floats.map(\.bitPattern))
        let boxed = [[-0.0], [Double.nan]]
        #expect(try compactRoundTrip(boxed).map { $0.map(\.bitPattern) } == boxed.map { $0.map(\.bitPattern) })
    }

    @Test("Unicode, empty strings and empty collections round-trip")
    func emptiesAndUnicode() throws {
        for text in ["", "héllo", "👩‍👩‍👧‍👦 family", "e\u{301}", "日本語", String(repeating: "long ", count: 100)] {
            #expect(try compactRoundTrip(text) == text)
        }
        #expect(try compactRoundTrip([Int]()) == [])
        #expect(try compactRoundTrip([CompactPeak]()) == [])
        #expect(try compactRoundTrip([String: Int]()) == [:])
        #expect(try compactRoundTrip([CompactPoint: Int]()) == [:])
    }

    @Test("Date, UUID, URL, Data and Decimal round-trip")
    func foundationTypes() throws {
        let date = Date(timeIntervalSinceReferenceDate: 123_456.789)
        #expect(try compactRoundTrip(date) == date)
        let uuid = UUID()
        #expect(try compactRoundTrip(uuid) == uuid)
        let url = try #require(URL(string: "https://example.com/a%20b?c=d#e"))
        #expect(try compactRoundTrip(url) == url)
        let data = Data([0, 1, 2, 255, 128])
        #expect(try compactRoundTrip(data) == data)
        #expect(try compactRoundTrip(Data()) == Data())
        let decimal = try #require(Decimal(string: "-12345.678901234567890123"))
        #expect(try compactRoundTrip(decimal) == decimal)
    }

    @Test("a class hierarchy round-trips through superEncoder and superDecoder")
    func classHierarchy() throws {
        let dog = try compactRoundTrip(CompactDog(name: "Rex", breed: "collie"))
        #expect(dog.name == "Rex")
        #expect(dog.breed == "collie")
        let dogs = try compactRoundTrip([CompactDog(name: "a", breed: "b"), CompactDog(name: "c", breed: "d")])
        #expect(dogs.map(\.name) == ["a", "c"])
        #expect(dogs.map(\.breed) == ["b", "d"])
    }

    @Test("keys decoded out of order and through contains")
    func customDecoding() throws {
        let shuffled = CompactShuffled(a: 1, b: "two", c: [3, 4])
        #expect(try compactRoundTrip(shuffled) == shuffled)
        #expect(try compactRoundTrip([shuffled, shuffled]) == [shuffled, shuffled])
        for sparse in [CompactSparse(id: 1, note: "hi"), CompactSparse(id: 2, note: nil)] {
            #expect(try compactRoundTrip(sparse) == sparse)
        }
    }

    @Test("an absent key and an explicit nil decode differently")
    func absentVersusNil() throws {
        let probe = try compactRoundTrip(CompactNilProbe())
        #expect(probe.containsExplicit)
        #expect(!probe.containsAbsent)
        #expect(probe.explicitIsNil)
        #expect(probe.absentNilThrows)
        #expect(probe.explicitIfPresent == nil)
        #expect(probe.absentIfPresent == nil)
    }

    @Test("an array of 1,000 doubles is one block")
    func numberBlock() throws {
        let values = (0..<1_000).map { Double($0) * 0.25 }
        let bytes = try compactPayload(values)
        #expect(bytes.count <= 1_000 * 8 + 32)
        #expect(try compactDecode([Double].self, bytes) == values)
        let wrapped = try compactPayload(CompactRecord(id: 1, score: nil, name: "", parts: [], table: [:]))
        #expect(wrapped.count < 64)
    }
}

@Suite("Compact coding: corrupt payloads and wrong types")
struct CompactCodingCorruptionTests {
    @Test("every truncation of a valid payload throws")
    func truncations() throws {
        let bytes = try compactPayload(CompactRich())
        #expect(try compactDecode(CompactRich.self, bytes) == CompactRich())
        for length in 0..<bytes.count {
            #expect(throws: (any Error).self, "prefix of \(length) bytes") {
                try compactDecode(CompactRich.self, Array(bytes[..<length]))
            }
        }
    }

    @Test("a wrong version byte and trailing bytes throw")
    func versionAndTrailing() throws {
        var bytes = try compactPayload(CompactPeak(frequency: 1, power: 2, label: "x"))
        bytes[0] = 0x62
        #expect(throws: SpillDecodingError.self) { try compactDecode(CompactPeak.self, bytes) }
        bytes[0] = CompactCoding.formatVersion
        #expect(throws: SpillDecodingError.self) { try compactDecode(CompactPeak.self, bytes + [0]) }
        #expect(throws: SpillDecodingError.self) { try compactDecode(CompactPeak.self, []) }
    }

    @Test("huge counts throw instead of allocating")
    func hugeCounts() throws {
        let max: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF]
        #expect(throws: SpillDecodingError.self) { try compactDecode([Double].self, [1, CompactTag.block, CompactTag.double] + max) }
        #expect(throws: SpillDecodingError.self) { try compactDecode([Int?].self, [1, CompactTag.unkeyed] + max + [0]) }
        #expect(throws: SpillDecodingError.self) { try compactDecode([String: Int].self, [1, CompactTag.named] + max) }
        #expect(throws: SpillDecodingError.self) { try compactDecode(CompactPeak.self, [1, CompactTag.keyed] + max) }
        #expect(throws: SpillDecodingError.self) { try compactDecode(String.self, [1, CompactTag.string] + max + [0x41]) }
        #expect(throws: SpillDecodingError.self) { try compactDecode(Data.self, [1, CompactTag.unkeyed] + max + [7, 1]) }
    }

    @Test("deeply nested payloads throw instead of overflowing the stack")
    func deepNesting() throws {
        var bytes: [UInt8] = [CompactCoding.formatVersion]
        let children = Array("children".utf8)
        let hash = children.withUnsafeBytes { compactKeyHash($0) }
        for _ in 0..<50_000 {
            bytes += [CompactTag.keyed, 1, 0, 0, 0] + withUnsafeBytes(of: hash.littleEndian, Array.init)
            bytes += [CompactTag.unkeyed, 1, 0, 0, 0]
        }
        #expect(throws: SpillDecodingError.self) { try compactDecode(CompactNest.self, bytes) }
        // Skipped, not decoded: a field of an unknown key must not recurse without bound either.
        var skipped: [UInt8] = [CompactCoding.formatVersion, CompactTag.keyed, 1, 0, 0, 0]
        skipped += withUnsafeBytes(of: UInt64(1).littleEndian, Array.init)
        skipped += Array(repeating: CompactTag.some, count: 50_000) + [CompactTag.null]
        #expect(throws: (any Error).self) { try compactDecode(CompactNest.self, skipped) }
        let someRun = [CompactCoding.formatVersion] + Array(repeating: CompactTag.some, count: 50_000) + [0]
        #expect(throws: (any Error).self) { try compactDecode(Int?.self, someRun) }
    }

    @Test("invalid UTF-8 and a bad Bool byte throw")
    func invalidScalars() throws {
        #expect(throws: SpillDecodingError.self) {
            try compactDecode(String.self, [1, CompactTag.string, 2, 0, 0, 0, 0xC3, 0x28])
        }
        #expect(throws: SpillDecodingError.self) { try compactDecode(Bool.self, [1, CompactTag.bool, 2]) }
        #expect(try compactDecode(String.self, [1, CompactTag.string, 2, 0, 0, 0, 0xC3, 0xA9]) == "é")
    }

    @Test("random byte flips throw or decode, never crash")
    func randomFlips() throws {
        let bytes = try compactPayload(CompactRich())
        var generator = CompactSplitMix(state: 0x5EED)
        var failures = 0
        for _ in 0..<400 {
            var corrupt = bytes
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let index = Int.random(in: 0..<corrupt.count, using: &generator)
                corrupt[index] ^= UInt8.random(in: 1...255, using: &generator)
            }
            do { _ = try compactDecode(CompactRich.self, corrupt) } catch { failures += 1 }
        }
        #expect(failures > 200)
    }

    @Test("decoding as the wrong type throws")
    func wrongTypes() throws {
        let peak = try compactPayload(CompactPeak(frequency: 1, power: 2, label: "x"))
        #expect(throws: (any Error).self) { try compactDecode([Int].self, peak) }
        #expect(throws: (any Error).self) { try compactDecode(CompactPoint.self, peak) }
        #expect(throws: DecodingError.self) { try compactDecode(String.self, try compactPayload(42)) }
        #expect(throws: DecodingError.self) { try compactDecode(Int32.self, try compactPayload(42)) }
        #expect(throws: DecodingError.self) { try compactDecode([Float].self, try compactPayload([1.0, 2.0])) }
        #expect(throws: DecodingError.self) { try compactDecode(Int.self, try compactPayload(Int?.none)) }
        #expect(throws: DecodingError.self) { try compactDecode(CompactShape.self, try compactPayload(CompactPlain.north)) }
    }

    @Test("two keys of one container with the same hash make encoding throw")
    func duplicateKeys() throws {
        struct Twice: Encodable {
            enum CodingKeys: CodingKey { case a }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(1, forKey: .a)
                try container.encode(2, forKey: .a)
            }
        }
        #expect(throws: EncodingError.self) { try compactPayload(Twice()) }
        #expect(throws: EncodingError.self) { try CompactCoding.encodedCount(of: Twice()) }
        var buffer: [UInt8] = [9]
        #expect(throws: EncodingError.self) { try CompactCoding.encode(Twice(), appendingTo: &buffer) }
        #expect(buffer == [9])
    }
}

@Suite("Compact coding: concurrency")
struct CompactCodingConcurrencyTests {
    @Test("concurrent encodes and decodes share the pooled coders safely")
    func concurrentUse() async {
        let failures = await withTaskGroup(of: Int.self) { group in
            for task in 0..<8 {
                group.addTask {
                    var failures = 0
                    for index in 0..<2_000 {
                        let peak = CompactPeak(frequency: Double(index), power: Double(task), label: "p\(task)-\(index)")
                        guard let back = try? compactRoundTrip(peak), back == peak else { failures += 1; continue }
                    }
                    return failures
                }
            }
            return await group.reduce(0, +)
        }
        #expect(failures == 0)
    }
}

/// Records made of generated parts.
private let compactRecords = zip(
    Gen.int(), Gen.double(in: -1e9...1e9).optional, Gen.letterOrNumber.string(of: 0...12),
    zip(Gen.int8(), Gen.bool).map { CompactSmall(x: $0, flag: $1) }.array(of: 0...6),
    zip(Gen.letter.string(of: 0...6), Gen.int(in: -1_000...1_000)).dictionary(ofAtMost: 0...6)
).map { CompactRecord(id: $0.0, score: $0.1, name: $0.2, parts: $0.3, table: $0.4) }

@Suite("Compact coding: properties")
struct CompactCodingPropertyTests {
    @Test("generated records round-trip exactly, alone and in arrays")
    func generatedRecords() async {
        await propertyCheck(count: 300, input: compactRecords.array(of: 0...4)) { records in
            do {
                #expect(try compactRoundTrip(records) == records)
                for record in records { #expect(try compactRoundTrip(record) == record) }
            } catch {
                Issue.record("round trip threw \(error)")
            }
        }
    }
}
