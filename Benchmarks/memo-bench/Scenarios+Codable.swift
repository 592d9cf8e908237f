#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Memo

/// A small `Codable` result: the default conformance, the compact encoding.
struct BenchPeak: Codable, Spillable, Equatable {
    var frequency: Double
    var power: Double
    var label: String
}

/// The same struct spilled as releases before the compact encoding did: a binary property
/// list, also encoded to size it (`memoryCost`) on every store.
struct PropertyListPeak: Codable, Spillable, Equatable {
    var frequency: Double
    var power: Double
    var label: String

    var memoryCost: Int {
        max(MemoryLayout<Self>.size, (try? Self.encode(self).count) ?? 0)
    }
    func spill(into writer: inout SpillWriter) throws {
        let bytes = try Self.encode(self)
        writer.write(UInt64(bytes.count))
        bytes.withUnsafeBytes { writer.writeBytes($0) }
    }
    init(unspilling reader: inout SpillReader) throws {
        let bytes = try reader.readBytes(count: try reader.readCount())
        self = try PropertyListDecoder().decode([Self].self, from: Data(bytes))[0]
    }
    init(frequency: Double, power: Double, label: String) {
        (self.frequency, self.power, self.label) = (frequency, power, label)
    }
    static func encode(_ value: Self) throws -> [UInt8] {
        let encoder = PropertyListEncoder()
        encoder.outputFormat = .binary
        return [UInt8](try encoder.encode([value]))
    }
}

/// The same struct with a hand-written conformance: a plain loop over the fields, the floor.
struct HandWrittenPeak: Spillable, Equatable {
    var frequency: Double
    var power: Double
    var label: String

    var memoryCost: Int { MemoryLayout<Self>.size + label.utf8.count }
    func spill(into writer: inout SpillWriter) throws {
        writer.write(frequency)
        writer.write(power)
        writer.write(label)
    }
    init(unspilling reader: inout SpillReader) throws {
        frequency = try reader.read(Double.self)
        power = try reader.read(Double.self)
        label = try reader.read(String.self)
    }
    init(frequency: Double, power: Double, label: String) {
        (self.frequency, self.power, self.label) = (frequency, power, label)
    }
}

/// Scenario 15: `Codable` values through the disk tier.
extension Scenarios {
    /// Store, spill and reload an array of 100,000 small structs (straight to disk: the
    /// memory budget is smaller than the array), compact encoding against property lists,
    /// and beside a hand-written conformance (the floor).
    static func codableSpillRoundTrip(directory: String) throws -> [BenchmarkResult] {
        let count = 100_000
        func peaks<Peak>(_ make: (Double, Double, String) -> Peak) -> [Peak] {
            (0..<count).map { make(Double($0) * 0.5, -Double($0), "p\($0)") }
        }
        let compact = peaks(BenchPeak.init)
        let plist = peaks(PropertyListPeak.init)
        let handWritten = peaks(HandWrittenPeak.init)
        var configuration = CacheConfiguration()
        configuration.maxMemory = .mebibytes(1)
        configuration.directory = directory + "/codable"
        let cache = try SpillingCache(configuration)
        var correct = true
        func roundTrip<Peak: Spillable & Equatable>(_ values: [Peak]) {
            let key = CacheKey(hashing: "codable", String(describing: Peak.self))
            cache.store(values, forKey: key)
            correct = correct && cache.value(forKey: key, as: [Peak].self) == values
            cache.removeValue(forKey: key)
        }
        let (ours, baseline) = Measure.pair(
            iterations: 1, ours: { roundTrip(compact) }, baseline: { roundTrip(plist) })
        let (_, floor) = Measure.pair(
            iterations: 1, ours: { roundTrip(compact) }, baseline: { roundTrip(handWritten) })
        precondition(correct, "a Codable round trip returned another value")
        cache.removeAll()
        return [
            BenchmarkResult(
                name: "15 Codable spill round trip", ours: ours * 1e3, baseline: baseline * 1e3,
                unit: "ms", ratio: baseline / ours, target: 20, direction: .atLeast,
                note: "100,000 small structs stored, spilled, reloaded: property lists' time "
                    + "over the compact encoding's"),
            BenchmarkResult(
                name: "15b Codable vs hand-written", ours: ours * 1e3, baseline: floor * 1e3,
                unit: "ms", ratio: ours / floor, target: 10, direction: .atMost,
                note: "the same round trip against a hand-written conformance (the floor)"),
        ]
    }
}
