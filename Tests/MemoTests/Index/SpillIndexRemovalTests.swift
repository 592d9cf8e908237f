import Foundation
@testable import Memo
import MemoTesting
import Testing

/// The two indexes the cache runs on: SQLite in a fresh directory, and MemoTesting's.
enum IndexKind: String, CaseIterable, CustomTestStringConvertible {
    case sqlite, inMemory
    var testDescription: String { rawValue }
}

@Suite("Spill index: removals name the file they mean")
struct SpillIndexRemovalTests {
    private static func entry(_ key: CacheKey, file: String) -> SpillIndexEntry {
        SpillIndexEntry(
            key: key, function: "f", version: 1, valueType: 7, fileName: file, size: 100,
            storedAt: .seconds(1), lastUsedAt: .seconds(1))
    }

    /// A fresh, opened index of `kind`, and a clean-up for it.
    private static func index(_ kind: IndexKind) throws
        -> (index: any SpillIndex, remove: () -> Void)
    {
        switch kind {
        case .inMemory:
            let index = InMemorySpillIndex()
            _ = try index.open()
            return (index, {})
        case .sqlite:
            let path = temporaryDirectoryPath()
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            let index = SQLiteSpillIndex(path: "\(path)/\(SQLiteSpillIndex.fileName)")
            _ = try index.open()
            return (index, { try? FileManager.default.removeItem(atPath: path) })
        }
    }

    @Test(
        "a removal naming a file that no longer matches (another process replaced it) keeps the row",
        arguments: IndexKind.allCases)
    func staleRemovalLeavesTheRow(_ kind: IndexKind) throws {
        let (index, remove) = try Self.index(kind)
        defer { remove() }
        let key = CacheKey(hashing: "replaced")
        let current = "\(key.hex)-b2.spill"
        _ = try index.apply([.insert(Self.entry(key, file: current))], maxBytes: nil, owner: getpid())

        // This process's removal names the file it wrote before another process replaced it.
        let stale = try index.apply(
            [.remove(key: key, fileName: "\(key.hex)-a1.spill")], maxBytes: nil, owner: getpid())
        #expect(stale.obsoleteFiles.isEmpty, "the replacement's file is not to be deleted")
        #expect(stale.totals.entries == 1 && stale.totals.bytes == 100)
        #expect(try index.entry(forKey: key)?.fileName == current)

        // Naming the current file, or no file, removes it and hands its file for deletion.
        let named = try index.apply(
            [.remove(key: key, fileName: current)], maxBytes: nil, owner: getpid())
        #expect(named.obsoleteFiles == [current])
        #expect(named.totals.entries == 0 && named.totals.bytes == 0)
        #expect(try index.entry(forKey: key) == nil)

        _ = try index.apply([.insert(Self.entry(key, file: current))], maxBytes: nil, owner: getpid())
        let any = try index.apply([.remove(key: key, fileName: nil)], maxBytes: nil, owner: getpid())
        #expect(any.obsoleteFiles == [current])
        #expect(try index.entry(forKey: key) == nil)
    }
}
