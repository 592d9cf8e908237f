@testable import Memo
import Testing

private struct Peak: Codable, Equatable, Spillable {
    var frequency: Double
    var label: String
    var tags: [String: Int]
}

@Suite("Spillable values")
struct SpillableTests {
    func roundTrip<Value: Spillable & Equatable>(_ value: Value) throws -> Value {
        let key = CacheKey(hashing: "round trip")
        let bytes = try SpillFileFormat.encode(value, key: key).bytes
        return try SpillFileFormat.decode(bytes, key: key, as: Value.self)
    }

    @Test("standard types spill and reload unchanged")
    func standardTypes() throws {
        #expect(try roundTrip(true) == true)
        #expect(try roundTrip(Int8(-8)) == -8)
        #expect(try roundTrip(UInt64.max) == .max)
        #expect(try roundTrip(Int128.min) == .min)
        #expect(try roundTrip(-0.0).sign == .minus)
        #expect(try roundTrip(Double.nan).isNaN)
        #expect(try roundTrip(Float(3.25)) == 3.25)
        #expect(try roundTrip("héllo 🌍") == "héllo 🌍")
        #expect(try roundTrip([UInt8](0...255)) == [UInt8](0...255))
        #expect(try roundTrip([[1, 2], [3]]) == [[1, 2], [3]])
        #expect(try roundTrip(ContiguousArray([1.5, 2.5])) == ContiguousArray([1.5, 2.5]))
        #expect(try roundTrip(Int?.none) == nil)
        #expect(try roundTrip(Int??.some(nil)) == .some(nil))
        #expect(try roundTrip(["a": [1.0], "b": []]) == ["a": [1.0], "b": []])
        #expect(try roundTrip(Set(["x", "y"])) == Set(["x", "y"]))
        #expect(try roundTrip(["a", "bc"]) == ["a", "bc"])
    }

    @Test("a Codable type spills through its default conformance")
    func codable() throws {
        let peak = Peak(frequency: 440, label: "A4", tags: ["octave": 4])
        #expect(try roundTrip(peak) == peak)
        #expect(peak.memoryCost >= MemoryLayout<Peak>.size)
    }

    @Test("a large array of numbers is written from its own memory, not copied")
    func largeArrayIsReferenced() throws {
        let big = [Double](repeating: 2.5, count: 100_000)
        var writer = SpillWriter()
        try big.spill(into: &writer)
        let chunks = writer.finish()
        #expect(chunks.count == 2, "the count, then the array itself")
        guard case .array(let block) = chunks.last else {
            Issue.record("expected the array as its own chunk")
            return
        }
        #expect(block.byteCount == 800_000)
        #expect(try roundTrip(big) == big)
    }

    @Test("memory cost grows with element storage")
    func memoryCost() {
        #expect([Double](repeating: 0, count: 1000).memoryCost >= 8000)
        #expect([UInt8](repeating: 0, count: 1000).memoryCost >= 1000)
        #expect(String(repeating: "x", count: 1000).memoryCost >= 1000)
        #expect(["a": [Double](repeating: 0, count: 100)].memoryCost >= 800)
        let doubles = [Double](repeating: 0, count: 1000)
        #expect(ContiguousArray(doubles).memoryCost == doubles.memoryCost)
        #expect(ContiguousArray(["ab", "c"]).memoryCost == ["ab", "c"].memoryCost)
        // An optional costs its value, or the one byte its encoding holds for `nil`.
        #expect((nil as [Double]?).memoryCost == 1)
        #expect((doubles as [Double]?).memoryCost == doubles.memoryCost)
    }

    @Test("malformed payloads throw instead of crashing")
    func malformed() {
        func decode<Value: Spillable>(_ bytes: [UInt8], as type: Value.Type) throws -> Value {
            try bytes.withUnsafeBytes { raw in
                var reader = SpillReader(raw)
                return try Value(unspilling: &reader)
            }
        }
        #expect(throws: SpillDecodingError.self) { try decode([1, 2], as: Int.self) }
        #expect(throws: SpillDecodingError.self) { try decode([2], as: Bool.self) }
        #expect(throws: SpillDecodingError.self) {
            try decode([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F], as: [Double].self)
        }
        #expect(throws: SpillDecodingError.self) {
            try decode([2, 0, 0, 0, 0, 0, 0, 0, 0xC3, 0x28], as: String.self)
        }
        #expect(throws: SpillDecodingError.self) { try decode([7], as: Int?.self) }
    }
}
