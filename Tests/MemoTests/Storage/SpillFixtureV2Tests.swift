@testable import Memo
import Testing

/// `Fixtures/spill/v2-*`: files of format version 2, written by an independent encoder
/// (`Fixtures/spill/generate-v2.py`) from the layout in `SpillFileFormat.swift`.
@Suite("Spill file fixtures, format version 2")
struct SpillFixtureV2Tests {
    let doublesKey = CacheKey(hashing: "fixture", 1)
    let spectrum = StoredFunction(name: "spectrum", version: 3)
    let doubles = (0..<100).map { Double($0) * 0.5 }

    @Test("version 2 files decode to their values and record their function")
    func decodes() throws {
        #expect(
            try SpillFileFormat.decode(
                try Fixtures.bytes("spill/v2-doubles.spill"), key: doublesKey, as: [Double].self,
                function: spectrum) == doubles)
        #expect(
            try SpillFileFormat.decode(
                try Fixtures.bytes("spill/v2-string.spill"), key: CacheKey(hashing: "fixture", 2),
                as: String.self, function: StoredFunction.none) == "spilled 🌍")
        #expect(
            try SpillFileFormat.decode(
                try Fixtures.bytes("spill/v2-int.spill"), key: CacheKey(hashing: "fixture", 3),
                as: Int.self, function: StoredFunction(name: "fib", version: -1)) == -42)
        var stream = SpillFileStream(bytes: try Fixtures.bytes("spill/v2-doubles.spill"))
        let header = try SpillFileFormat.verify(from: &stream)
        #expect(header.function == spectrum)
        #expect(header.key == doublesKey)
        #expect(header.headerSize == 88)
    }

    @Test("the encoder writes exactly the fixtures' bytes")
    func encodesIdentically() throws {
        let contents = try SpillFileFormat.encode(doubles, key: doublesKey, function: spectrum)
        #expect(contents.bytes == (try Fixtures.bytes("spill/v2-doubles.spill")))
        let int = try SpillFileFormat.encode(
            -42, key: CacheKey(hashing: "fixture", 3),
            function: StoredFunction(name: "fib", version: -1))
        #expect(int.bytes == (try Fixtures.bytes("spill/v2-int.spill")))
        let text = try SpillFileFormat.encode(
            "spilled 🌍", key: CacheKey(hashing: "fixture", 2), function: .none)
        #expect(text.bytes == (try Fixtures.bytes("spill/v2-string.spill")))
    }

    @Test("a file of another function version is refused")
    func otherVersion() throws {
        let bytes = try Fixtures.bytes("spill/v2-doubles.spill")
        #expect(throws: SpillFileError.functionMismatch(found: spectrum)) {
            try SpillFileFormat.decode(
                bytes, key: doublesKey, as: [Double].self,
                function: StoredFunction(name: "spectrum", version: 4))
        }
    }

    @Test(
        "every corrupted variant is refused with its reason",
        arguments: [
            ("v2-doubles-bad-magic.spill", SpillFileError.badMagic),
            ("v2-doubles-bad-version.spill", .unsupportedVersion(99)),
            ("v2-doubles-flipped-byte.spill", .checksumMismatch),
            ("v2-doubles-flipped-name.spill", .checksumMismatch),
            ("v2-doubles-truncated.spill", .lengthMismatch(expected: 808, found: 800)),
            ("v2-doubles-header-only.spill", .truncated),
            ("v2-doubles-wrong-key.spill", .keyMismatch(found: CacheKey(hashing: "fixture", 2))),
            ("v2-doubles-wrong-type.spill", .typeMismatch),
            ("v2-doubles-name-overrun.spill", .badHeader),
            ("v2-doubles-reserved-set.spill", .badHeader),
            ("v2-doubles-bad-header-size.spill", .badHeader),
        ])
    func refuses(file: String, error: SpillFileError) throws {
        let bytes = try Fixtures.bytes("spill/\(file)")
        #expect(throws: error) {
            try SpillFileFormat.decode(bytes, key: doublesKey, as: [Double].self)
        }
        // What `memo verify` does, without the value's type: refused as well (the key and
        // type are checked against the index there, not here).
        if ![
            "v2-doubles-wrong-key.spill", "v2-doubles-wrong-type.spill",
        ].contains(file) {
            var stream = SpillFileStream(bytes: bytes)
            #expect(throws: SpillFileError.self) { try SpillFileFormat.verify(from: &stream) }
        }
    }

    @Test("a function name past 4,096 bytes is cut at a character boundary and reads back")
    func longFunctionName() throws {
        // "x" then 2,500 two-byte characters: byte 4,096 is inside a character.
        let function = StoredFunction(
            name: "x" + String(repeating: "é", count: 2_500), version: 3)
        let key = CacheKey(hashing: "long", 1)
        let bytes = try SpillFileFormat.encode([1.0, 2.0], key: key, function: function).bytes
        #expect(
            try SpillFileFormat.decode(bytes, key: key, as: [Double].self, function: function)
                == [1.0, 2.0])
        var stream = SpillFileStream(bytes: bytes)
        let header = try SpillFileFormat.verify(from: &stream)
        #expect(header.function?.name.utf8.count == 4_095)
        #expect(header.function == function.recorded)
        // Names that differ only past the cut share a header, but never a key: the key
        // hashes the whole name. The version is still checked.
        #expect(throws: SpillFileError.self) {
            try SpillFileFormat.decode(
                bytes, key: key, as: [Double].self,
                function: StoredFunction(name: function.name, version: 4))
        }
    }
}
