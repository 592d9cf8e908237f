import Logging
import Memo
import MemoTesting
import Synchronization
import SystemPackage
import Testing

/// Collects log records, to check what the cache reports.
final class CapturedLog: Sendable {
    let records = Mutex<[(level: Logger.Level, message: String)]>([])

    var logger: Logger {
        Logger(label: "memo.tests.captured") { _ in Handler(log: self) }
    }

    struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            log.records.withTrackedLock { $0.append((event.level, "\(event.message)")) }
        }
    }
}

@Suite("Failure logging")
struct FailureLoggingTests {
    @Test("failures are logged at warning with the key and reason: the 1st, 2nd, 4th, 8th")
    func rateLimited() throws {
        let captured = CapturedLog()
        let disk = FaultInjectingFileSystem(wrapping: InMemoryFileSystem())
        disk.inject(.init(.write, on: .always, action: .fail(.noSpace)))
        var configuration = CacheConfiguration()
        configuration.maxMemory = .bytes(Blob.charge(100))
        configuration.fileSystem = disk
        configuration.directory = "/logging"
        configuration.logger = captured.logger
        let cache = try SpillingCache(configuration)
        for id in 0...10 { cache.store(Blob(id: id, size: 100), forKey: key(id)) }
        #expect(cache.stats.failures == 10)
        let records = captured.records.withTrackedLock { $0 }
        #expect(
            records.count == 4, "logged at failures 1, 2, 4 and 8 only: \(records.map(\.message))")
        #expect(records.allSatisfy { $0.level == .warning })
        #expect(records.first?.message.contains(key(0).hex) == true, "the key is named")
        #expect(records.first?.message.contains("No space left on device") == true, "the reason")
    }
}
