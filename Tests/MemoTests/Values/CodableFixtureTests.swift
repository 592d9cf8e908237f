@testable import Memo
import Foundation
import Testing

/// `Fixtures/codable/`: spill files and a persistent directory written by the release
/// whose `Codable` payloads were binary property lists (format version 2 files). Every
/// later release reads them: the payload tells its encoding apart by its first byte.
@Suite("Codable payloads of earlier releases")
struct CodableFixtureTests {
    @Test("property-list payloads in version 2 spill files still decode")
    func spillFiles() throws {
        let peaks = try SpillFileFormat.decode(
            try Fixtures.bytes("codable/v2-plist-peaks.spill"), key: CodableFixtures.peaksKey(0),
            as: [FixturePeak].self, function: StoredFunction(name: "spectrum", version: 1))
        #expect(peaks == CodableFixtures.peaks)
        let window = try SpillFileFormat.decode(
            try Fixtures.bytes("codable/v2-plist-window.spill"), key: CodableFixtures.windowKey,
            as: FixtureWindow.self, function: StoredFunction.none)
        // (Equal, but property lists lost the sign of -0.0: one reason they were replaced.)
        #expect(window == CodableFixtures.window)
    }

    @Test("a persistent directory of property-list payloads still serves its values")
    func persistentDirectory() throws {
        let directory = temporaryDirectoryPath()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.copyItem(
            atPath: Fixtures.url("codable/plist-directory").path, toPath: directory)
        try FileManager.default.setAttributes(
            [.posixPermissions: 0o700], ofItemAtPath: directory)
        var configuration = CacheConfiguration()
        configuration.directory = directory
        configuration.persistent = true
        configuration.logger = quietLogger
        let cache = try SpillingCache(configuration)
        defer { cache.retire() }
        for i in 0..<3 {
            #expect(
                cache.value(forKey: CodableFixtures.peaksKey(i), as: [FixturePeak].self)
                    == Array(CodableFixtures.peaks.prefix(i + 2)))
        }
        #expect(
            cache.value(forKey: CodableFixtures.windowKey, as: FixtureWindow.self)
                == CodableFixtures.window)
        #expect(cache.stats.failures == 0)
        // Stored again, in today's encoding, and read back from the directory.
        cache.store(CodableFixtures.window, forKey: CodableFixtures.windowKey)
        cache.flush()
        let reopened = try SpillingCache(configuration)
        defer { reopened.retire() }
        #expect(
            reopened.value(forKey: CodableFixtures.windowKey, as: FixtureWindow.self)
                == CodableFixtures.window)
    }

    @Test("today's payloads are the compact encoding, and memoryCost is its size")
    func compactPayloads() throws {
        let contents = try SpillFileFormat.encode(
            CodableFixtures.peaks, key: CodableFixtures.peaksKey(0), function: .none)
        var stream = SpillFileStream(bytes: contents.bytes)
        let header = try SpillFileFormat.verify(from: &stream)
        let payload = Array(contents.bytes[header.headerSize...])
        // [FixturePeak]: a count, then each element's length and payload.
        // Smaller than the property lists of the same values (the fixture, same header).
        let plist = try Fixtures.bytes("codable/v2-plist-peaks.spill")
        var plistStream = SpillFileStream(bytes: plist)
        let plistHeader = try SpillFileFormat.verify(from: &plistStream)
        #expect(payload.count < (plist.count - plistHeader.headerSize) * 2 / 3)
        #expect(payload[16] == CompactCoding.formatVersion)
        let peak = CodableFixtures.peaks[1]
        #expect(peak.memoryCost == max(MemoryLayout<FixturePeak>.size, try CompactCoding.encodedCount(of: peak)))
        #expect(
            try SpillFileFormat.decode(
                contents.bytes, key: CodableFixtures.peaksKey(0), as: [FixturePeak].self)
                == CodableFixtures.peaks)
    }
}
