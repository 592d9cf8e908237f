import Foundation
import Memo
import MemoTesting
import PropertyBased
import Testing

/// The examples of the DocC articles (`Sources/Memo/Memo.docc`), compiled and run: an
/// article whose example stops compiling or stops being true fails here.
@Suite("Article examples")
struct ArticleExampleTests {
    // MARK: GettingStarted.md

    /// |X(k)|² of a discrete Fourier transform, for k in 0..<bins: slow on purpose.
    static func powerSpectrum(_ signal: [Double], _ bins: Int) -> [Double] {
        (0..<bins).map { k in
            var re = 0.0
            var im = 0.0
            for (n, x) in signal.enumerated() {
                let angle = -2 * Double.pi * Double(k * n) / Double(signal.count)
                re += x * cos(angle)
                im += x * sin(angle)
            }
            return re * re + im * im
        }
    }

    @Test("Getting started: a first memoized function and its figures", .isolatedMemo)
    func gettingStarted() {
        let spectrum = Memo.memoized(name: "spectrum") {
            (signal: [Double], bins: Int) -> [Double] in
            Self.powerSpectrum(signal, bins)
        }
        let signal = (0..<4096).map { sin(Double($0) / 10) }
        let first = spectrum(signal, 64)
        let again = spectrum(signal, 64)
        #expect(first == again)
        let stats = Memo.stats
        let figures: [Int] = [stats.hits, stats.misses, stats.memoryEntries, stats.memoryBytes]
        #expect(figures == [1, 1, 1, 736])
    }

    // MARK: TestingWithMemoTesting.md

    @Suite(.isolatedMemo)
    struct LengthTests {
        @Test func computesOnce() {
            let length = Memo.memoized(name: "length") { (text: String) -> Int in text.count }
            #expect(length("abc") == 3)
            #expect(length("abc") == 3)
            #expect(Memo.stats.hits == 1 && Memo.stats.misses == 1)
        }
    }

    @Test func expiresAfterAMinute() throws {
        let clock = TestClock()
        var config = isolatedConfiguration()
        config.clock = clock
        config.timeToLive = .seconds(60)
        let cache = try SpillingCache(config)
        let key = CacheKey(hashing: "quote", "ACME")
        cache.store(12.5, forKey: key)
        clock.advance(by: .seconds(59))
        #expect(cache.value(forKey: key, as: Double.self) == 12.5)
        clock.advance(by: .seconds(1))
        #expect(cache.value(forKey: key, as: Double.self) == nil)
        #expect(cache.stats.expirations == 1)
    }

    @Test func aDamagedSpillFileIsAMiss() throws {
        let memory = InMemoryFileSystem()
        let disk = FaultInjectingFileSystem(wrapping: memory)
        var config = isolatedConfiguration()
        config.fileSystem = disk
        config.maxMemory = ByteCount(8 + SpillingCache.entryOverhead)
        let cache = try SpillingCache(config)
        let one = CacheKey(hashing: 1)
        let two = CacheKey(hashing: 2)
        cache.store(1, forKey: one)
        cache.store(2, forKey: two)
        disk.inject(.init(.read, path: "*.spill", on: .nth(1), action: .corruptRead))
        #expect(cache.value(forKey: one, as: Int.self) == nil)
        #expect(cache.stats.failures == 1)
        #expect(memory.allFilePaths.isEmpty)
        #expect(disk.injectedFaults.map(\.operation) == [.read])
    }

    @Test func flushedValuesSurviveAPowerCut() throws {
        let disk = InMemoryFileSystem()
        let index = InMemorySpillIndex()
        var config = CacheConfiguration()
        config.directory = "/memo"
        config.persistent = true
        config.fileSystem = disk
        config.index = index
        let key = CacheKey(hashing: "answer")
        do {
            let writer = try SpillingCache(config)
            writer.store(42, forKey: key)
            writer.flush()
        }
        disk.crash()
        index.crash()
        #expect(try SpillingCache(config).value(forKey: key, as: Int.self) == 42)
    }

    @Test func memoryStaysWithinBudget() async {
        await propertyCheck(input: Gen.int(in: 0...1_000).array(of: 1...200)) { numbers in
            var config = isolatedConfiguration()
            config.maxMemory = ByteCount(8 * (8 + SpillingCache.entryOverhead))
            let cache = try #require(try? SpillingCache(config))
            for n in numbers { cache.store(n, forKey: CacheKey(hashing: n)) }
            #expect(cache.stats.memoryBytes <= config.maxMemory.bytes)
            for n in numbers {
                #expect(cache.value(forKey: CacheKey(hashing: n), as: Int.self) == n)
            }
        }
    }
}
