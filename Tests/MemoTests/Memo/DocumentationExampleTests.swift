import Memo
import MemoTesting
import SystemPackage
import Testing

/// The examples of `MemoTesting.docc/TestingMemoizedCode.md`, run as written.
@Suite("Documentation examples", .isolatedMemo)
struct DocumentationExampleTests {
    static func expensive(_ n: Int) -> [Double] { (0..<n).map(Double.init) }

    @Test func computesOnce() {
        let spectrum = Memo.memoized { (n: Int) -> [Double] in Self.expensive(n) }
        _ = spectrum(8)
        _ = spectrum(8)
        #expect(Memo.stats.hits == 1)
    }

    @Test func expires() throws {
        var config = isolatedConfiguration()
        config.timeToLive = .seconds(60)
        try withIsolatedMemo(config) { clock in
            let runs = Counter()
            let quote = Memo.memoized { (symbol: String) -> Double in
                runs.increment()
                return Double(symbol.count)
            }
            _ = quote("ACME")
            clock.advance(by: .seconds(61))
            _ = quote("ACME")
            #expect(Memo.stats.expirations == 1)
            #expect(runs.value == 2)
        }
    }

    @Test func survivesAFullDisk() throws {
        let disk = FaultInjectingFileSystem(wrapping: InMemoryFileSystem())
        disk.inject(.init(.write, on: .fromNth(1), action: .fail(.noSpace)))
        var config = isolatedConfiguration()
        config.fileSystem = disk
        config.maxMemory = .kilobytes(4)
        config.logger = quietLogger
        try withIsolatedMemo(config) { _ in
            let f = Memo.memoized { (n: Int) -> [Double] in Array(repeating: 1, count: n) }
            for n in 100..<120 { _ = f(n) }
            #expect(f(119).count == 119)
            #expect(Memo.stats.failures > 0)
            #expect(!disk.injectedFaults.isEmpty)
        }
    }
}
