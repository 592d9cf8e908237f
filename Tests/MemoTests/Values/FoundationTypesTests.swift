import Foundation
import Memo
import MemoTesting
import Testing

/// `Date`, `UUID`, `URL`, `Data` and `Decimal` key and spill with no code.
@Suite("Foundation types as arguments and results")
struct FoundationTypesTests {
    @Test("equal values give equal keys, whatever their form")
    func equalValuesEqualKeys() throws {
        #expect(
            CacheKey(hashing: Date(timeIntervalSinceReferenceDate: 0))
                == CacheKey(hashing: Date(timeIntervalSinceReferenceDate: -0.0)))
        #expect(
            CacheKey(hashing: Decimal(string: "1.00")!) == CacheKey(hashing: Decimal(1)))
        #expect(
            CacheKey(hashing: Decimal(string: "100")!) == CacheKey(hashing: Decimal(string: "1e2")!))
        #expect(CacheKey(hashing: Decimal(string: "-0")!) == CacheKey(hashing: Decimal(0)))
        let id = UUID()
        #expect(CacheKey(hashing: id) == CacheKey(hashing: UUID(uuidString: id.uuidString)!))
        #expect(
            CacheKey(hashing: URL(string: "https://example.org/a")!)
                == CacheKey(hashing: URL(string: "https://example.org/a")!))
        #expect(CacheKey(hashing: Data([1, 2, 3])) == CacheKey(hashing: Data([1, 2, 3])[...]))
    }

    @Test("different values, and other types of the same bytes, give different keys")
    func differentValuesDifferentKeys() throws {
        let keys: [CacheKey] = [
            CacheKey(hashing: Date(timeIntervalSinceReferenceDate: 1)),
            CacheKey(hashing: Date(timeIntervalSinceReferenceDate: 2)),
            CacheKey(hashing: 1.0),
            CacheKey(hashing: Data([1, 2, 3])),
            CacheKey(hashing: [UInt8]([1, 2, 3])),
            CacheKey(hashing: Data()),
            CacheKey(hashing: Decimal(string: "1.5")!),
            CacheKey(hashing: "1.5"),
            CacheKey(hashing: URL(string: "https://example.org/a/b/c")!),
            // Equal as an absolute URL, but Foundation's == tells them apart: so do keys.
            CacheKey(hashing: URL(string: "b/c", relativeTo: URL(string: "https://example.org/a/"))!),
            CacheKey(hashing: "https://example.org/a/b/c"),
            // A URL without a base, then a string, is not a URL with that base.
            CacheKey(hashing: URL(string: "b")!, "https://x.org/"),
            CacheKey(hashing: URL(string: "b", relativeTo: URL(string: "https://x.org/"))!),
            CacheKey(hashing: UUID(uuidString: "E621E1F8-C36C-495A-93FC-0C247A3E6E5F")!),
            CacheKey(hashing: UUID(uuidString: "E621E1F8-C36C-495A-93FC-0C247A3E6E5E")!),
        ]
        #expect(Set(keys).count == keys.count)
    }

    /// Every value goes straight to disk (a one-byte memory budget) and is read back.
    func roundTrip<Value: Spillable & Equatable>(_ value: Value) throws -> Value? {
        let harness = try CacheHarness(maxMemory: 1)
        let key = CacheKey(hashing: "foundation", String(reflecting: Value.self))
        harness.cache.store(value, forKey: key)
        #expect(harness.cache.stats.diskEntries == 1, "\(Value.self) was not spilled")
        let back = harness.cache.value(forKey: key, as: Value.self)
        #expect(harness.cache.stats.diskHits == 1)
        return back
    }

    @Test("each type spills and reloads equal")
    func spillRoundTrips() throws {
        let date = Date(timeIntervalSinceReferenceDate: 812_345_678.125)
        #expect(try roundTrip(date) == date)
        let id = UUID()
        #expect(try roundTrip(id) == id)
        let absolute = URL(string: "https://example.org/search?q=caf%C3%A9#top")!
        #expect(try roundTrip(absolute) == absolute)
        let relative = URL(string: "b/c", relativeTo: URL(string: "https://example.org/a/"))!
        let reloaded = try roundTrip(relative)
        #expect(reloaded == relative)
        #expect(reloaded?.baseURL == relative.baseURL)
        let bytes = Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        #expect(try roundTrip(bytes) == bytes)
        #expect(try roundTrip(Data()) == Data())
        for text in ["0", "-12.5", "123456789012345678901234567890.123", "-0.000000000000000000000000000125"] {
            let decimal = try #require(Decimal(string: text))
            #expect(try roundTrip(decimal) == decimal)
        }
        #expect(try roundTrip(Decimal.nan)?.isNaN == true)
        #expect(try roundTrip([date, date.addingTimeInterval(1)]) == [date, date.addingTimeInterval(1)])
        #expect(try roundTrip([absolute, relative]) == [absolute, relative])
    }

    @Test("Data spills as one block, the payload of the [UInt8] of its bytes")
    func dataIsOneBlock() throws {
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0) }
        let harness = try CacheHarness(maxMemory: 1)
        let key = CacheKey(hashing: "block")
        harness.cache.store(Data(bytes), forKey: key)
        // The same payload: a count and the bytes, so the file is the [UInt8]'s but for
        // the type in its header.
        let file = try #require(harness.files.first { $0.hasSuffix(".spill") })
        let size = try harness.fileSystem.fileSize(atPath: "\(harness.cache.directory)/\(file)")
        #expect(size < bytes.count + 200)
        #expect(size > bytes.count)
        #expect(harness.cache.value(forKey: key, as: [UInt8].self) == nil, "another type")
        #expect(harness.cache.value(forKey: key, as: Data.self) == Data(bytes))
    }

    @Test("a memoized function takes and returns them")
    func memoized() throws {
        try withIsolatedMemo(CacheConfiguration()) { _ in
            let calls = Counter()
            let stamp = Memo.memoized(name: "stamp") { (id: UUID, at: Date, url: URL) -> Data in
                calls.increment()
                return Data("\(id) \(at.timeIntervalSinceReferenceDate) \(url)".utf8)
            }
            let id = UUID()
            let at = Date(timeIntervalSinceReferenceDate: 5)
            let url = URL(string: "file:///tmp/x")!
            let first = stamp(id, at, url)
            #expect(stamp(id, at, url) == first)
            #expect(stamp(UUID(), at, url) != first)
            #expect(calls.value == 2)
        }
    }
}
