import DemoWorkload
import Foundation
import Memo
import Testing

@Suite("Keys across processes")
struct CrossProcessKeyTests {
    /// The keys `memo-demo keys` prints in another process, by sample name (`make test`
    /// builds it next to the test bundle). The child never inherits
    /// `SWIFT_DETERMINISTIC_HASHING`: its dictionaries and sets iterate in its own order.
    private func keysFromAnotherProcess() throws -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_DETERMINISTIC_HASHING"] = nil
        let (status, lines) = try runDemo(["keys"], environment: environment)
        #expect(status == 0)
        return Dictionary(
            uniqueKeysWithValues: lines.map { line in
                let parts = line.split(separator: "\t", maxSplits: 1)
                return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
            })
    }

    @Test("another process computes the same keys")
    func sameKeysInAnotherProcess() throws {
        let printed = try keysFromAnotherProcess()
        let expected: [String: CacheKey] = [
            "spectrum": CacheKey(hashing: "spectrum", [0.5, 0.25], 1024),
            "text": CacheKey(hashing: "héllo", Int64(-1), true),
            "nested": CacheKey(hashing: [[1, 2], [3]], ["a": 1.5], Set(["x"])),
            "optional": CacheKey(hashing: Int?.none, 0..<10, Duration.seconds(2)),
            "codable": CacheKey(hashing: SampleWindow.sample(insertionSeed: 1)),
            "codable-reordered": CacheKey(hashing: SampleWindow.sample(insertionSeed: 2)),
        ]
        #expect(printed.count == expected.count + 1, "the samples and the iteration order")
        for (name, key) in expected {
            #expect(printed[name] == key.hex, "key \(name)")
        }
    }

    @Test("a Codable struct's dictionaries and sets key the same in three processes")
    func codableKeysInThreeProcesses() throws {
        let mine = CacheKey(hashing: SampleWindow.sample(insertionSeed: 3))
        #expect(mine == CacheKey(hashing: SampleWindow.sample(insertionSeed: 4)))
        var orders: Set<String> = [SampleWindow.sample(insertionSeed: 1).iterationOrder]
        for _ in 0..<3 {
            let printed = try keysFromAnotherProcess()
            #expect(printed["codable"] == mine.hex)
            #expect(printed["codable-reordered"] == mine.hex)
            orders.insert(try #require(printed["order"]))
        }
        // Four processes with 200-entry dictionaries iterating alike would mean hashing
        // was not seeded per process, and the test above proved nothing.
        #expect(orders.count > 1, "the processes iterated their dictionaries alike")
    }
}
