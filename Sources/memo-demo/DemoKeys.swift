import DemoWorkload
import Memo

/// Keys printed by `memo-demo keys`, for the cross-process test.
enum DemoKeys {
    static let samples: [(String, CacheKey)] = [
        ("spectrum", CacheKey(hashing: "spectrum", [0.5, 0.25], 1024)),
        ("text", CacheKey(hashing: "héllo", Int64(-1), true)),
        ("nested", CacheKey(hashing: [[1, 2], [3]], ["a": 1.5], Set(["x"]))),
        ("optional", CacheKey(hashing: Int?.none, 0..<10, Duration.seconds(2))),
        ("codable", CacheKey(hashing: SampleWindow.sample(insertionSeed: 1))),
        ("codable-reordered", CacheKey(hashing: SampleWindow.sample(insertionSeed: 2))),
    ]

    /// This process's iteration order of the sample's dictionary.
    static var iterationOrder: String { SampleWindow.sample(insertionSeed: 1).iterationOrder }
}
