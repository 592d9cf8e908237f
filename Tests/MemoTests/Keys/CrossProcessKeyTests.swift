import Foundation
import Memo
import Testing

@Suite("Keys across processes")
struct CrossProcessKeyTests {
    /// `memo-demo keys` prints sample keys from another process; `make test` builds it next
    /// to the test bundle.
    @Test("another process computes the same keys")
    func sameKeysInAnotherProcess() throws {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let demo = testBinary.deletingLastPathComponent().appendingPathComponent("memo-demo")
        try #require(
            FileManager.default.isExecutableFile(atPath: demo.path),
            "memo-demo is not built next to the tests (\(demo.path)); run `make test`")
        let process = Process()
        process.executableURL = demo
        process.arguments = ["keys"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let printed = Dictionary(
            uniqueKeysWithValues: String(decoding: data, as: UTF8.self)
                .split(separator: "\n")
                .map { line in
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
