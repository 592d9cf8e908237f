import Memo

/// The `Codable` types of `Fixtures/codable/`: their names are part of the files' type
/// fingerprints, so they must not be renamed or moved to another module.
struct FixturePeak: Codable, Spillable, Equatable {
    var frequency: Double
    var power: Double
    var label: String
}

/// A `Codable` value with the shapes a property list payload had to carry: an optional, an
/// enum with associated values, a dictionary, nested arrays.
struct FixtureWindow: Codable, Spillable, Equatable {
    enum Kind: Codable, Equatable {
        case hann
        case kaiser(beta: Double)
    }
    var width: Int
    var overlap: Double?
    var kind: Kind
    var labels: [String: Int]
    var bands: [[Double]]
}

/// The values and keys of `Fixtures/codable/`, written by the release whose `Codable`
/// payloads were binary property lists.
enum CodableFixtures {
    static let peaks = (0..<5).map {
        FixturePeak(
            frequency: Double($0) * 12.5, power: -Double($0) / 3, label: "peak \($0) ✓")
    }
    static let window = FixtureWindow(
        width: 1024, overlap: nil, kind: .kaiser(beta: 8.6), labels: ["low": 1, "high": 2],
        bands: [[0, 0.25], [], [-0.0, .infinity]])
    static func peaksKey(_ i: Int) -> CacheKey { CacheKey(hashing: "fixture-peaks", i) }
    static let windowKey = CacheKey(hashing: "fixture-window")
}
