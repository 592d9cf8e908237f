import Foundation
import Memo
import Testing

@Suite("Cache keys")
struct CacheKeyTests {
    @Test("equal inputs give equal keys")
    func equalInputs() {
        #expect(
            CacheKey(hashing: "spectrum", [1.0, 2.0], 1024)
                == CacheKey(hashing: "spectrum", [1.0, 2.0], 1024))
        #expect(
            CacheKey(hashing: ["x": [1, 2], "y": [3]])
                == CacheKey(hashing: ["y": [3], "x": [1, 2]]))
        let big = (0..<10_000).map(Double.init)
        #expect(CacheKey(hashing: big) == CacheKey(hashing: Array(big)))
    }

    @Test("inputs that naive concatenation confuses give different keys")
    func naiveCollisions() {
        #expect(CacheKey(hashing: "ab", "c") != CacheKey(hashing: "a", "bc"))
        #expect(CacheKey(hashing: 1) != CacheKey(hashing: "1"))
        #expect(CacheKey(hashing: [[1, 2], [3]]) != CacheKey(hashing: [[1], [2, 3]]))
        #expect(CacheKey(hashing: Int64(1)) != CacheKey(hashing: 1))
        #expect(CacheKey(hashing: [1, 2]) != CacheKey(hashing: 1, 2))
        #expect(CacheKey(hashing: Int?.none) != CacheKey(hashing: Int??.some(nil)))
        #expect(CacheKey(hashing: 0..<3) != CacheKey(hashing: 0...3))
        #expect(CacheKey(hashing: "") != StableHasher().finalize())
        #expect(CacheKey(hashing: 0.0) != CacheKey(hashing: -0.0))
    }

    @Test("[Double] and [Float] of the same bytes differ")
    func sameBytesDifferentTypes() {
        let doubles: [Double] = [1.5, -2.25]
        let floats: [Float] = doubles.withUnsafeBytes { raw in
            Array(raw.bindMemory(to: Float.self))
        }
        #expect(floats.count == 4)
        doubles.withUnsafeBytes { d in floats.withUnsafeBytes { f in #expect(d.elementsEqual(f)) } }
        #expect(CacheKey(hashing: doubles) != CacheKey(hashing: floats))
        let bytes: [UInt8] = doubles.withUnsafeBytes { Array($0) }
        #expect(CacheKey(hashing: bytes) != CacheKey(hashing: doubles))
    }

    @Test("the streaming path gives the same digest as one-shot hashing")
    func streamingMatchesOneShot() {
        // 300 one-byte writes cross the inline buffer (128 bytes); the digest must not
        // depend on where the switch happens.
        var stepwise = StableHasher()
        for value in 0..<300 { stepwise.write(UInt8(value & 0xFF)) }
        var whole = StableHasher()
        let bytes = (0..<300).map { UInt8($0 & 0xFF) }
        bytes.withUnsafeBytes { whole.write(bytes: $0) }
        let stepwiseKey = stepwise.finalize()
        let wholeKey = whole.finalize()
        #expect(stepwiseKey == wholeKey)
    }

    @Test("hex round-trips, parses either case and rejects anything else")
    func hexRoundTrip() throws {
        let key = CacheKey(hashing: "round trip")
        #expect(key.hex.count == 32)
        #expect(key.hex == key.hex.lowercased())
        #expect(CacheKey(hex: key.hex) == key)
        #expect(CacheKey(hex: key.hex.uppercased()) == key)
        #expect(CacheKey(hex: "") == nil)
        #expect(CacheKey(hex: String(key.hex.dropLast())) == nil)
        #expect(CacheKey(hex: String(key.hex.dropLast()) + "g") == nil)
        #expect(CacheKey(high: 1, low: 0xAB).hex == "000000000000000100000000000000ab")
    }

    @Test("Codable uses the hex form")
    func codable() throws {
        let key = CacheKey(hashing: 42)
        let data = try JSONEncoder().encode([key])
        #expect(String(decoding: data, as: UTF8.self) == "[\"\(key.hex)\"]")
        #expect(try JSONDecoder().decode([CacheKey].self, from: data) == [key])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([CacheKey].self, from: Data("[\"xyz\"]".utf8))
        }
    }

    @Test("keys order by high half, then low half")
    func comparable() {
        #expect(CacheKey(high: 1, low: 9) < CacheKey(high: 2, low: 0))
        #expect(CacheKey(high: 1, low: 1) < CacheKey(high: 1, low: 2))
        #expect(!(CacheKey(high: 1, low: 1) < CacheKey(high: 1, low: 1)))
    }
}
