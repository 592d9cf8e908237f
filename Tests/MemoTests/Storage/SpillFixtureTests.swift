@testable import Memo
import Testing

/// `Fixtures/spill/`: files of format version 1, written by an independent encoder.
@Suite("Spill file fixtures, format version 1")
struct SpillFixtureTests {
    let doublesKey = CacheKey(hashing: "fixture", 1)

    @Test("version 1 files decode to their values")
    func decodes() throws {
        let doubles = try SpillFileFormat.decode(
            try Fixtures.bytes("spill/v1-doubles.spill"), key: doublesKey, as: [Double].self)
        #expect(doubles == (0..<100).map { Double($0) * 0.5 })
        let text = try SpillFileFormat.decode(
            try Fixtures.bytes("spill/v1-string.spill"), key: CacheKey(hashing: "fixture", 2),
            as: String.self)
        #expect(text == "spilled 🌍")
        let int = try SpillFileFormat.decode(
            try Fixtures.bytes("spill/v1-int.spill"), key: CacheKey(hashing: "fixture", 3),
            as: Int.self)
        #expect(int == -42)
    }

    @Test("version 1 files are still read after version 2 became the one written")
    func stillReadable() throws {
        var stream = SpillFileStream(bytes: try Fixtures.bytes("spill/v1-doubles.spill"))
        let header = try SpillFileFormat.verify(from: &stream)
        #expect(header.version == 1)
        #expect(header.function == nil)
        // A caller that expects a function cannot check it in a version 1 file: the key
        // (which hashes the function) decides.
        let doubles = try SpillFileFormat.decode(
            try Fixtures.bytes("spill/v1-doubles.spill"), key: doublesKey, as: [Double].self,
            function: StoredFunction(name: "spectrum", version: 3))
        #expect(doubles.count == 100)
    }

    @Test(
        "every corrupted variant is refused with its reason",
        arguments: [
            ("v1-doubles-bad-magic.spill", SpillFileError.badMagic),
            ("v1-doubles-bad-version.spill", .unsupportedVersion(99)),
            ("v1-doubles-flipped-byte.spill", .checksumMismatch),
            ("v1-doubles-truncated.spill", .lengthMismatch(expected: 808, found: 800)),
            ("v1-doubles-header-only.spill", .truncated),
            ("v1-doubles-wrong-key.spill", .keyMismatch(found: CacheKey(hashing: "fixture", 2))),
            ("v1-doubles-wrong-type.spill", .typeMismatch),
        ])
    func refuses(file: String, error: SpillFileError) throws {
        let bytes = try Fixtures.bytes("spill/\(file)")
        #expect(throws: error) {
            try SpillFileFormat.decode(bytes, key: doublesKey, as: [Double].self)
        }
    }
}
