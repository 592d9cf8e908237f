import Foundation
import Memo
import Testing

@Suite("Keys across processes")
struct CrossProcessKeyTests {
    /// `memo-demo keys` prints sample keys from another process; `make test` builds it next
    /// to the test bundle.
    @Test("another process computes the same keys")
    func sameKeysInAnotherProcess() throws {
        let (status, lines) = try runDemo(["keys"])
        #expect(status == 0)
        let printed = Dictionary(
            uniqueKeysWithValues: lines.map { line in
                let parts = line.split(separator: "\t")
                return (String(parts[0]), String(parts[1]))
            })
        let expected: [String: CacheKey] = [
            "spectrum": CacheKey(hashing: "spectrum", [0.5, 0.25], 1024),
            "text": CacheKey(hashing: "héllo", Int64(-1), true),
            "nested": CacheKey(hashing: [[1, 2], [3]], ["a": 1.5], Set(["x"])),
            "optional": CacheKey(hashing: Int?.none, 0..<10, Duration.seconds(2)),
        ]
        #expect(printed.count == expected.count)
        for (name, key) in expected {
            #expect(printed[name] == key.hex, "key \(name)")
        }
    }
}
