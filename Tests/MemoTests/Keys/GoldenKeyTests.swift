import Foundation
import Memo
import Testing

private enum Gear: Int, StableHashable { case low = 1, high = 2 }
private enum Speed: String, StableHashable { case fast, slow }

// Encodable keys. Internal, not private: a private type's name is `MemoTests.(private).…`.
struct GoldenQuery: Codable, StableHashable {
    var table: String, limit: Int, threshold: Double, descending: Bool
}

struct GoldenBand: Codable { var low: Int, high: Int }

enum GoldenStep: Codable { case scaled(by: Double) }

struct GoldenPlan: Codable, StableHashable {
    var name: String
    var samples: [Double]
    var band: GoldenBand
    var step: GoldenStep
    var rows: [GoldenBand]
    var note: String?
}

/// Every case of `Fixtures/keys/golden.tsv`, built here from Swift values. The digests were
/// computed by `Fixtures/keys/generate.py`, an encoder written from the spec with Python's
/// xxhash, so a match proves both the encoding and the hashing.
private let samples: [String: CacheKey] = {
    var samples: [String: CacheKey] = [
        "bool.true": CacheKey(hashing: true),
        "bool.false": CacheKey(hashing: false),
        "int8.-5": CacheKey(hashing: Int8(-5)),
        "int16.-300": CacheKey(hashing: Int16(-300)),
        "int32.123456": CacheKey(hashing: Int32(123456)),
        "int64.-1": CacheKey(hashing: Int64(-1)),
        "int.0": CacheKey(hashing: 0),
        "int.1": CacheKey(hashing: 1),
        "int.-1": CacheKey(hashing: -1),
        "int.max": CacheKey(hashing: Int.max),
        "uint8.255": CacheKey(hashing: UInt8(255)),
        "uint16.65535": CacheKey(hashing: UInt16(65535)),
        "uint32.7": CacheKey(hashing: UInt32(7)),
        "uint64.max": CacheKey(hashing: UInt64.max),
        "uint.42": CacheKey(hashing: UInt(42)),
        "int128.-2": CacheKey(hashing: Int128(-2)),
        "uint128.2^100": CacheKey(hashing: UInt128(1) << 100),
        "float.1.5": CacheKey(hashing: Float(1.5)),
        "float.-0": CacheKey(hashing: Float(-0.0)),
        "double.pi": CacheKey(hashing: Double.pi),
        "double.-0": CacheKey(hashing: -0.0),
        "double.inf": CacheKey(hashing: Double.infinity),
        "double.nan": CacheKey(hashing: Double(bitPattern: 0x7FF8_0000_0000_0000)),
        "string.empty": CacheKey(hashing: ""),
        "string.hello": CacheKey(hashing: "hello"),
        "string.unicode": CacheKey(hashing: "héllo 🌍"),
        "string.1": CacheKey(hashing: "1"),
        "string.long": CacheKey(hashing: String(repeating: "memo", count: 250)),
        "substring.ell": CacheKey(hashing: "hello".dropFirst().dropLast()),
        "array.int": CacheKey(hashing: [1, 2, 3]),
        "array.int.empty": CacheKey(hashing: [Int]()),
        "array.double": CacheKey(hashing: [1.0, 2.0]),
        "array.float": CacheKey(hashing: [Float(1.0), 2.0]),
        "array.uint8": CacheKey(hashing: [UInt8]([0, 1, 255])),
        "array.bool": CacheKey(hashing: [true, false, true]),
        "array.double.100k": CacheKey(hashing: (0..<100_000).map { Double($0) * 0.5 }),
        "array.string": CacheKey(hashing: ["a", "bc"]),
        "array.nested.12-3": CacheKey(hashing: [[1, 2], [3]]),
        "array.nested.1-23": CacheKey(hashing: [[1], [2, 3]]),
        "contiguousarray.int": CacheKey(hashing: ContiguousArray([1, 2, 3])),
        "arrayslice.int": CacheKey(hashing: [1, 2, 3][1...]),
        "optional.none": CacheKey(hashing: Int?.none),
        "optional.some.5": CacheKey(hashing: Int?.some(5)),
        "optional.some.none": CacheKey(hashing: Int??.some(.none)),
        "dictionary.a1b2": CacheKey(hashing: ["a": 1, "b": 2]),
        "dictionary.empty": CacheKey(hashing: [String: Int]()),
        "set.123": CacheKey(hashing: Set([1, 2, 3])),
        "range.0..<10": CacheKey(hashing: 0..<10),
        "closedrange.0...10": CacheKey(hashing: 0...10),
        "duration.3s": CacheKey(hashing: Duration.seconds(3)),
        "duration.1500ms": CacheKey(hashing: Duration.milliseconds(1500)),
        "enum.int.2": CacheKey(hashing: Gear.high),
        "enum.string.fast": CacheKey(hashing: Speed.fast),
        "cachekey.of.hello": CacheKey(hashing: CacheKey(hashing: "hello")),
        "pack.empty": StableHasher().finalize(),
        "pack.ab.c": CacheKey(hashing: "ab", "c"),
        "pack.a.bc": CacheKey(hashing: "a", "bc"),
        "pack.1.'1'": CacheKey(hashing: 1, "1"),
    ]
    samples["pack.spectrum"] = CacheKey(hashing: "spectrum", [0.5, 0.25], 1024)
    samples["date.reference"] = CacheKey(hashing: Date(timeIntervalSinceReferenceDate: 0))
    samples["date.-0"] = CacheKey(hashing: Date(timeIntervalSinceReferenceDate: -0.0))
    samples["date.1e9"] = CacheKey(hashing: Date(timeIntervalSinceReferenceDate: 1e9))
    samples["uuid"] = CacheKey(hashing: UUID(uuidString: "E621E1F8-C36C-495A-93FC-0C247A3E6E5F")!)
    samples["url.absolute"] = CacheKey(hashing: URL(string: "https://example.org/a?b=1")!)
    samples["encodable.query"] = CacheKey(
        hashing: GoldenQuery(table: "spectra", limit: 20, threshold: 0.5, descending: true))
    samples["encodable.nested"] = CacheKey(
        hashing: GoldenPlan(
            name: "plan", samples: [0.5, -1], band: GoldenBand(low: 1, high: 4), step: .scaled(by: 2),
            rows: [GoldenBand(low: 0, high: 0)], note: nil))
    samples["url.relative"] = CacheKey(
        hashing: URL(string: "b/c", relativeTo: URL(string: "https://example.org/a/"))!)
    samples["data.012"] = CacheKey(hashing: Data([0, 1, 2]))
    samples["data.empty"] = CacheKey(hashing: Data())
    samples["decimal.1.00"] = CacheKey(hashing: Decimal(string: "1.00")!)
    samples["decimal.-12.5"] = CacheKey(hashing: Decimal(string: "-12.50")!)
    samples["decimal.-0"] = CacheKey(hashing: Decimal(string: "-0")!)
    return samples
}()

@Suite("Golden key digests")
struct GoldenKeyTests {
    @Test("every fixture row matches the key Swift computes")
    func fixturesMatch() throws {
        let rows = try Fixtures.rows("keys/golden.tsv")
        #expect(rows.count >= 40)
        var seen = Set<String>()
        for row in rows {
            let name = String(row[0])
            seen.insert(name)
            let sample = try #require(samples[name], "no Swift sample for fixture \(name)")
            #expect(sample.hex == String(row[1]), "key of \(name)")
        }
        #expect(seen == Set(samples.keys), "every sample has a fixture row")
    }

    @Test("all golden digests are distinct, except the containers that share an encoding")
    func digestsAreDistinct() {
        let shared: [Set<String>] = [
            ["array.int", "contiguousarray.int"], ["date.reference", "date.-0"],
        ]
        var byDigest: [CacheKey: [String]] = [:]
        for (name, key) in samples { byDigest[key, default: []].append(name) }
        for names in byDigest.values where names.count > 1 {
            #expect(shared.contains(Set(names)), "\(names) share a digest")
        }
    }
}
