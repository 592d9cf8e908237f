import Foundation
@testable import Memo
import Testing

@Suite("The default cache")
struct DefaultCacheTests {
    @Test("an unusable spill directory leaves a cache that still memoizes in memory")
    func unusableDirectory() throws {
        let path = temporaryDirectoryPath()
        #expect(FileManager.default.createFile(atPath: path, contents: Data("x".utf8)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        var configuration = CacheConfiguration()
        configuration.directory = path  // a file: refused by SpillingCache(_:)
        configuration.maxMemory = .bytes(Blob.charge(100))
        configuration.logger = quietLogger
        let cache = Memo.makeCache(configuration)
        cache.store(Blob(id: 1, size: 100), forKey: key(1))
        #expect(cache.value(forKey: key(1), as: Blob.self)?.id == 1)
        cache.store(Blob(id: 2, size: 100), forKey: key(2))  // key(1) would spill: dropped
        #expect(cache.value(forKey: key(2), as: Blob.self)?.id == 2)
        #expect(cache.value(forKey: key(1), as: Blob.self) == nil)
        #expect(cache.stats.failures == 1)
        #expect(cache.stats.memoryBytes <= configuration.maxMemory.bytes)
        #expect(
            FileManager.default.contents(atPath: path) == Data("x".utf8), "the file is untouched")
    }
}
