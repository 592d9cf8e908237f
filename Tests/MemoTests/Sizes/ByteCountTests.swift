import Memo
import Testing

@Suite("Byte counts")
struct ByteCountTests {
    @Test(
        "parses sizes in decimal and binary units",
        arguments: [
            ("2GB", 2_000_000_000), ("2GiB", 2 << 30), ("512MB", 512_000_000),
            ("512 MiB", 512 << 20), ("1.5kb", 1500), ("1.5KiB", 1536), ("0.3KB", 300),
            ("4096", 4096), ("4096 B", 4096), ("  7 tb ", 7_000_000_000_000),
            ("1TiB", 1 << 40), (".5MB", 500_000), ("1.", 1), ("0", 0),
            ("1.0000000001KB", 1000), ("2gib", 2 << 30), ("3 Kib", 3072),
        ])
    func parses(text: String, bytes: Int) throws {
        #expect(try ByteCount(parsing: text).bytes == bytes)
    }

    @Test(
        "rejects malformed sizes with a typed reason",
        arguments: [
            ("", ByteCountParseError.Reason.empty), ("   ", .empty),
            ("abc", .notANumber), ("nan GB", .notANumber), ("1.2.3", .notANumber),
            (".", .notANumber), ("-1MB", .negative), ("1XB", .unknownUnit("XB")),
            ("1 GB GB", .unknownUnit("GB GB")), ("1e9", .unknownUnit("e9")),
            ("99999999999999999999", .overflow), ("9999999999TB", .overflow),
        ])
    func rejects(text: String, reason: ByteCountParseError.Reason) {
        #expect(throws: ByteCountParseError(text: text, reason: reason)) {
            try ByteCount(parsing: text)
        }
    }

    @Test("the error message names the text and the accepted units")
    func errorMessage() {
        do {
            _ = try ByteCount(parsing: "1XB")
            Issue.record("expected an error")
        } catch {
            let message = error.description
            #expect(message.contains("\"1XB\""))
            #expect(message.contains("unknown unit \"XB\""))
            for unit in ["B", "KB", "MB", "GB", "TB", "KiB", "MiB", "GiB", "TiB"] {
                #expect(message.contains(unit))
            }
        }
    }

    @Test("factory functions scale by the right power")
    func factories() {
        #expect(ByteCount.kilobytes(3).bytes == 3_000)
        #expect(ByteCount.megabytes(64).bytes == 64_000_000)
        #expect(ByteCount.mebibytes(64).bytes == 64 << 20)
        #expect(ByteCount.gigabytes(2).bytes == 2_000_000_000)
        #expect(ByteCount.gibibytes(2).bytes == 2 << 30)
        #expect(ByteCount.kibibytes(1).bytes == 1024)
        #expect(ByteCount.terabytes(1).bytes == 1_000_000_000_000)
        #expect(ByteCount.tebibytes(1).bytes == 1 << 40)
        #expect(ByteCount(1024).bytes == 1024)
        #expect(ByteCount.megabytes(1) < ByteCount.mebibytes(1))
    }

    @Test(
        "prints a human size with two decimals",
        arguments: [
            (0, "0 B"), (999, "999 B"), (1000, "1.00 KB"), (1_500_000_000, "1.50 GB"),
            (1_234_567, "1.23 MB"), (1_235_000, "1.24 MB"), (999_999, "1000.00 KB"),
            (2_000_000_000_000, "2.00 TB"), (Int.max, "9223372.04 TB"),
        ])
    func description(bytes: Int, text: String) {
        #expect(ByteCount(bytes).description == text)
    }
}
