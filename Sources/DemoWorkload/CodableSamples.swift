public import Memo

/// `Codable` arguments keyed with no hand-written encoding, shared by `memo-demo keys`
/// and the tests, so that another process's keys of the same values can be compared with
/// the test's own (a type's module is part of its key: both must see the same type).
public struct SampleWindow: Codable, StableHashable, Sendable {
    /// A raw-value enum that is `Codable` too: it keys by its raw value, as it does alone.
    public enum Kind: String, Codable, StableHashable, Sendable { case hann, kaiser }
    public var width: Int
    public var overlap: Double
    public var labels: [String: Int]
    public var tags: Set<String>
    public var bands: [SampleBand: [Double]]
    public var kind: Kind?
}

/// A struct used as a dictionary key: its dictionaries encode as unkeyed containers of
/// alternating keys and values, in iteration order.
public struct SampleBand: Codable, Hashable, Sendable {
    public var low: Int
    public var high: Int
}

extension SampleWindow {
    /// The same value however its dictionaries and sets are built: entries are inserted in
    /// an order given by `seed` (and a process's own hashing seed changes the iteration
    /// order again).
    public static func sample(insertionSeed seed: Int) -> SampleWindow {
        var order = Array(0..<200)
        var state = UInt64(truncatingIfNeeded: seed) &* 0x9E37_79B9_7F4A_7C15 | 1
        for index in order.indices.reversed() {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            order.swapAt(index, Int(state % UInt64(index + 1)))
        }
        var labels: [String: Int] = [:]
        var tags: Set<String> = []
        var bands: [SampleBand: [Double]] = [:]
        for i in order {
            labels["label \(i)"] = i * 3
            tags.insert("tag \(i % 50)")
            bands[SampleBand(low: i, high: i + 10)] = [Double(i), Double(i) / 8]
        }
        return SampleWindow(
            width: 1024, overlap: 0.5, labels: labels, tags: tags, bands: bands, kind: .kaiser)
    }
}

extension SampleWindow {
    /// The first few labels in this process's iteration order: differs between processes
    /// (Swift seeds hashing per process), which shows the keys' equality is not luck.
    public var iterationOrder: String {
        labels.keys.prefix(4).joined(separator: ",")
    }
}
