import Foundation
import Logging
@testable import Memo
import MemoTesting
import Synchronization
import Testing

/// A plain struct, keyed by its `Encodable` conformance with no hand-written code.
private struct Query: Codable, StableHashable {
    var table: String
    var limit: Int
    var threshold: Double
    var tags: Set<String>
}

/// A value that refuses to be encoded unless told otherwise.
private struct Refusing: Encodable, StableHashable {
    struct Refused: Error {}
    var id: Int
    var refuses: Bool
    func encode(to encoder: any Encoder) throws {
        if refuses { throw Refused() }
        var container = encoder.singleValueContainer()
        try container.encode(id)
    }
}

/// Memoized functions taking Codable arguments: hits for equal values, and calls that
/// cannot be keyed run uncached, counted and never answered with another call's result.
@Suite("Codable arguments", .serialized)
struct CodableArgumentTests {
    private func record(_ function: String) throws -> FunctionReport {
        try #require(Memo.reportRecords().first { $0.function == function })
    }

    @Test("a Codable struct argument hits for an equal value, whatever its set's order")
    func hits() throws {
        try withIsolatedMemo { _ throws in
            let calls = Counter()
            let run = Memo.memoized(name: "run") { (query: Query) -> String in
                calls.increment()
                return "\(query.table):\(query.limit)"
            }
            var tags = Set<String>()
            for tag in ["a", "b", "c", "d", "e", "f"] { tags.insert(tag) }
            var reversed = Set<String>(minimumCapacity: 64)
            for tag in ["f", "e", "d", "c", "b", "a"] { reversed.insert(tag) }
            let query = Query(table: "t", limit: 10, threshold: 0.5, tags: tags)
            #expect(run(query) == "t:10")
            #expect(run(Query(table: "t", limit: 10, threshold: 0.5, tags: reversed)) == "t:10")
            #expect(calls.value == 1)
            #expect(run(Query(table: "t", limit: 11, threshold: 0.5, tags: tags)) == "t:11")
            #expect(calls.value == 2)
            #expect(try record("run").memoryHits == 1)
        }
    }

    @Test("an argument whose encode(to:) throws runs the body every call, counted and logged")
    func unkeyable() throws {
        let captured = CapturedLog()
        var configuration = CacheConfiguration()
        configuration.logger = captured.logger
        try withIsolatedMemo(configuration) { _ throws in
            let calls = Counter()
            let echo = Memo.memoized(name: "echo") { (value: Refusing) -> Int in
                calls.increment()
                return value.id * 10 + calls.value
            }
            let failuresBefore = Memo.stats.failures
            // Two refusing values: each call runs its own body and returns its own result.
            #expect(echo(Refusing(id: 1, refuses: true)) == 11)
            #expect(echo(Refusing(id: 2, refuses: true)) == 22)
            #expect(echo(Refusing(id: 1, refuses: true)) == 13)
            #expect(calls.value == 3)
            #expect(Memo.stats.failures == failuresBefore + 3)
            #expect(Memo.stats.memoryEntries == 0, "nothing stored under an unkeyable call")
            // A keyable value of the same function is cached as usual.
            #expect(echo(Refusing(id: 1, refuses: false)) == 14)
            #expect(echo(Refusing(id: 1, refuses: false)) == 14)
            #expect(calls.value == 4)
            let report = try record("echo")
            #expect(report.misses[.unkeyable] == 3)
            #expect(report.misses[.newKey] == 1)
            #expect(report.memoryHits == 1)
            #expect(Memo.report().contains("unkeyable"))
            let warnings = captured.records.withTrackedLock { $0 }.filter { $0.level == .warning }
            #expect(warnings.count == 1, "logged once per function, not once per call")
            #expect(warnings.first?.message.contains("echo") == true)
        }
    }

    @Test("the throwing and async wrappers run an unkeyable call uncached too")
    func unkeyableThrowingAndAsync() async throws {
        struct Boom: Error {}
        try await withIsolatedMemo { _ async throws in
            let calls = Counter()
            let fails = Memo.memoized(name: "fails") { (value: Refusing) throws -> Int in
                calls.increment()
                if value.id < 0 { throw Boom() }
                return value.id
            }
            #expect(try fails(Refusing(id: 3, refuses: true)) == 3)
            #expect(throws: Boom.self) { try fails(Refusing(id: -1, refuses: true)) }
            let later = Memo.memoized(name: "later") { (value: Refusing) async -> Int in
                calls.increment()
                return value.id
            }
            #expect(await later(Refusing(id: 4, refuses: true)) == 4)
            #expect(await later(Refusing(id: 4, refuses: true)) == 4)
            #expect(calls.value == 4)
            #expect(try record("fails").misses[.unkeyable] == 2)
            #expect(try record("later").misses[.unkeyable] == 2)
        }
    }
}
