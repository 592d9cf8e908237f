import Foundation
@testable import Memo
import MemoTesting
import Testing

/// Each miss reason, counted for the function that missed and no other.
@Suite("Miss reasons")
struct MissReasonTests {
    /// The report record of `function`.
    private func record(_ function: String) throws -> FunctionReport {
        try #require(Memo.reportRecords().first { $0.function == function })
    }

    /// The misses of `function` that are not of `reason` (all zero when only `reason`
    /// missed).
    private func otherMisses(_ function: String, except reason: MissReason) throws -> Int {
        try record(function).misses.filter { $0.key != reason }.values.reduce(0, +)
    }

    @Test("a key never stored is a new key")
    func newKey() throws {
        try withIsolatedMemo { _ throws in
            let f = Memo.memoized(name: "f") { (x: Int) -> Int in x + 1 }
            let g = Memo.memoized(name: "g") { (x: Int) -> Int in x + 2 }
            _ = f(1)
            _ = f(1)
            _ = f(2)
            _ = g(1)
            #expect(try record("f").misses[.newKey] == 2)
            #expect(try record("f").memoryHits == 1)
            #expect(try otherMisses("f", except: .newKey) == 0)
            #expect(try record("g").misses[.newKey] == 1)
            #expect(try record("g").hits == 0)
        }
    }

    @Test("an entry past its time to live is expired")
    func expired() throws {
        var configuration = isolatedConfiguration()
        configuration.timeToLive = .seconds(10)
        try withIsolatedMemo(configuration) { clock throws in
            let f = Memo.memoized(name: "f") { (x: Int) -> Int in x + 1 }
            let g = Memo.memoized(name: "g") { (x: Int) -> Int in x + 2 }
            _ = f(1)
            _ = g(1)
            clock.advance(by: .seconds(11))
            _ = f(1)
            #expect(try record("f").misses[.expired] == 1)
            #expect(try record("f").misses[.newKey] == 1)
            #expect(try record("g").misses[.expired] == 0, "g was not called again")
        }
    }

    @Test("an entry deleted for the disk budget is evicted")
    func evicted() throws {
        let value = [Double](repeating: 1, count: 512)
        var configuration = isolatedConfiguration()
        // Room for one value in memory and one file on disk.
        configuration.maxMemory = ByteCount(value.memoryCost + SpillingCache.entryOverhead + 64)
        configuration.maxDisk = ByteCount(4_300)
        try withIsolatedMemo(configuration) { _ throws in
            let f = Memo.memoized(name: "f") { (x: Int) -> [Double] in
                [Double](repeating: Double(x), count: 512)
            }
            let g = Memo.memoized(name: "g") { (x: Int) -> Int in x }
            for x in 0..<4 { _ = f(x) }
            _ = g(7)
            #expect(Memo.stats.evictions >= 2)
            _ = f(0)
            #expect(try record("f").misses[.evicted] == 1)
            #expect(try record("f").misses[.newKey] == 4)
            #expect(try otherMisses("g", except: .newKey) == 0)
        }
    }

    @Test("a spill file that fails its checks is corrupt")
    func corrupt() throws {
        let disk = FaultInjectingFileSystem(wrapping: InMemoryFileSystem())
        var configuration = isolatedConfiguration()
        configuration.fileSystem = disk
        configuration.maxMemory = ByteCount(4_200 + SpillingCache.entryOverhead)
        try withIsolatedMemo(configuration) { _ throws in
            let f = Memo.memoized(name: "f") { (x: Int) -> [Double] in
                [Double](repeating: Double(x), count: 512)
            }
            _ = f(0)
            _ = f(1)  // f(0) spills
            #expect(Memo.stats.spills == 1)
            disk.inject(.init(.read, on: .nth(1), action: .corruptRead))
            #expect(f(0) == [Double](repeating: 0, count: 512), "computed again, never wrong")
            #expect(try record("f").misses[.corrupt] == 1)
            #expect(Memo.stats.failures == 1)
        }
    }

    @Test("a key stored as another type is another type")
    func otherType() throws {
        try withIsolatedMemo { _ throws in
            // Same name, same arguments: the same keys, values of two types.
            let asInt = Memo.memoized(name: "shared") { (x: Int) -> Int in x }
            let asText = Memo.memoized(name: "shared") { (x: Int) -> String in "\(x)" }
            _ = asInt(1)
            #expect(asText(1) == "1")
            #expect(try record("shared").misses[.otherType] == 1)
            #expect(try record("shared").misses[.newKey] == 1)
        }
    }

    @Test("a call stored by another version of its function is a version change")
    func versionChanged() throws {
        let path = temporaryDirectoryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var configuration = CacheConfiguration()
        configuration.directory = path
        configuration.persistent = true
        try withIsolatedMemo(configuration) { _ throws in
            let v1 = Memo.memoized(name: "spectrum", version: 1) { (x: Int) -> Int in x }
            _ = v1(5)
            Memo.cache.flush()
        }
        try withIsolatedMemo(configuration) { _ throws in
            let v2 = Memo.memoized(name: "spectrum", version: 2) { (x: Int) -> Int in x * 10 }
            let other = Memo.memoized(name: "other") { (x: Int) -> Int in x }
            #expect(v2(5) == 50, "never the other version's value")
            _ = v2(6)
            _ = other(5)
            let spectrum = try #require(
                Memo.reportRecords().first { $0.function == "spectrum" && $0.version == 2 })
            #expect(spectrum.misses[.versionChanged] == 1)
            #expect(spectrum.misses[.newKey] == 1)
            #expect(try record("other").misses[.newKey] == 1)
            #expect(try otherMisses("other", except: .newKey) == 0)
        }
    }

    @Test("hits from memory and from disk are told apart; bytes are per function")
    func hitsAndBytes() throws {
        var configuration = isolatedConfiguration()
        // One f value and one g value fit; two f values do not.
        configuration.maxMemory = ByteCount(4_200 + 2 * SpillingCache.entryOverhead + 64)
        try withIsolatedMemo(configuration) { _ throws in
            let f = Memo.memoized(name: "f") { (x: Int) -> [Double] in
                [Double](repeating: Double(x), count: 512)
            }
            let g = Memo.memoized(name: "g") { (x: Int) -> Int in x }
            _ = f(0)
            _ = f(1)  // f(0) spills
            _ = f(0)  // from disk; f(1) spills
            _ = f(0)  // from memory
            _ = g(3)
            let report = try record("f")
            #expect(report.diskHits == 1)
            #expect(report.memoryHits == 1)
            #expect(report.calls == 4)
            #expect(
                report.memoryBytes == [Double](repeating: 0, count: 512).memoryCost
                    + SpillingCache.entryOverhead)
            #expect(report.diskBytes == Memo.stats.diskBytes, "both files are f's")
            let gReport = try record("g")
            #expect(gReport.memoryBytes == 0.memoryCost + SpillingCache.entryOverhead)
            #expect(gReport.diskBytes == 0)
            let text = Memo.report()
            #expect(text.contains("new key 2"), "\(text)")
            #expect(text.contains("missed because"))
        }
    }

    @Test("clear(function:) removes one function's entries, memory and disk, and no other's")
    func clearFunction() throws {
        var configuration = isolatedConfiguration()
        configuration.maxMemory = ByteCount(3 * (4_200 + SpillingCache.entryOverhead))
        try withIsolatedMemo(configuration) { _ throws in
            let f = Memo.memoized(name: "f") { (x: Int) -> [Double] in
                [Double](repeating: Double(x), count: 512)
            }
            let g = Memo.memoized(name: "g") { (x: Int) -> [Double] in
                [Double](repeating: Double(-x), count: 512)
            }
            for x in 0..<4 {
                _ = f(x)
                _ = g(x)
            }
            #expect(Memo.stats.diskEntries > 0, "some of each on disk")
            Memo.clear(function: "f")
            let stats = Memo.stats
            #expect(stats.memoryEntries + stats.diskEntries == 4, "g's four entries stay")
            #expect(try record("f").memoryBytes == 0 && record("f").diskBytes == 0)
            #expect(try record("g").memoryBytes + record("g").diskBytes > 0)
            let before = try record("g").hits
            for x in 0..<4 { _ = g(x) }
            #expect(try record("g").hits == before + 4)
            let fMisses = try record("f").missCount
            _ = f(0)
            #expect(try record("f").missCount == fMisses + 1, "computed again")
        }
    }

    @Test("clear(function:) in a persistent directory removes its index entries, every process's")
    func clearFunctionPersistent() throws {
        let path = temporaryDirectoryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var configuration = CacheConfiguration()
        configuration.directory = path
        configuration.persistent = true
        try withIsolatedMemo(configuration) { _ throws in
            let f = Memo.memoized(name: "f") { (x: Int) -> Int in x }
            let g = Memo.memoized(name: "g") { (x: Int) -> Int in -x }
            for x in 0..<5 {
                _ = f(x)
                _ = g(x)
            }
            Memo.cache.flush()
        }
        try withIsolatedMemo(configuration) { _ throws in
            // This cache never loaded f's entries: they go from the index all the same.
            Memo.clear(function: "f")
            Memo.cache.flush()
            #expect(Memo.stats.diskEntries == 5)
        }
        let index = SQLiteSpillIndex(path: path + "/memo-index.sqlite")
        _ = try index.open()
        let entries = try index.allEntries()
        #expect(entries.count == 5)
        #expect(entries.allSatisfy { $0.function == "g" })
        let files = try FileManager.default.contentsOfDirectory(atPath: path)
            .filter { $0.hasSuffix(".spill") }
        #expect(files.count == 5)
    }
}
