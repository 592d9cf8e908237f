/// A number of bytes: a memory or disk budget.
///
/// ```swift
/// let budget = try ByteCount(parsing: "512MB")   // 512_000_000
/// ByteCount.mebibytes(64).bytes                  // 67_108_864
/// ```
///
/// Decimal units (KB, MB, GB, TB) are powers of 1000, as in "2GB" = 2_000_000_000; binary
/// units (KiB, MiB, GiB, TiB) are powers of 1024.
public struct ByteCount: Sendable, Hashable, Comparable, Codable {
    /// The number of bytes; never negative.
    public var bytes: Int

    /// A count of `bytes` bytes.
    ///
    /// - Precondition: `bytes >= 0`.
    @inlinable public init(_ bytes: Int) {
        precondition(bytes >= 0, "ByteCount must not be negative, got \(bytes)")
        self.bytes = bytes
    }

    /// Orders counts by their number of bytes.
    @inlinable public static func < (lhs: ByteCount, rhs: ByteCount) -> Bool {
        lhs.bytes < rhs.bytes
    }

    /// `count` bytes.
    public static func bytes(_ count: Int) -> ByteCount { ByteCount(count) }
    /// `count` × 1000 bytes.
    public static func kilobytes(_ count: Int) -> ByteCount { scaled(count, by: ByteUnit.kilobyte) }
    /// `count` × 1000² bytes.
    public static func megabytes(_ count: Int) -> ByteCount { scaled(count, by: ByteUnit.megabyte) }
    /// `count` × 1000³ bytes.
    public static func gigabytes(_ count: Int) -> ByteCount { scaled(count, by: ByteUnit.gigabyte) }
    /// `count` × 1000⁴ bytes.
    public static func terabytes(_ count: Int) -> ByteCount { scaled(count, by: ByteUnit.terabyte) }
    /// `count` × 1024 bytes.
    public static func kibibytes(_ count: Int) -> ByteCount { scaled(count, by: ByteUnit.kibibyte) }
    /// `count` × 1024² bytes.
    public static func mebibytes(_ count: Int) -> ByteCount { scaled(count, by: ByteUnit.mebibyte) }
    /// `count` × 1024³ bytes.
    public static func gibibytes(_ count: Int) -> ByteCount { scaled(count, by: ByteUnit.gibibyte) }
    /// `count` × 1024⁴ bytes.
    public static func tebibytes(_ count: Int) -> ByteCount { scaled(count, by: ByteUnit.tebibyte) }

    private static func scaled(_ count: Int, by unit: ByteUnit) -> ByteCount {
        let (product, overflow) = count.multipliedReportingOverflow(by: unit.multiplier)
        precondition(!overflow, "\(count) \(unit.symbol) does not fit in Int bytes")
        return ByteCount(product)
    }
}

extension ByteCount: ExpressibleByIntegerLiteral {
    /// A literal is a number of bytes: `let budget: ByteCount = 4096`.
    public init(integerLiteral value: Int) { self.init(value) }
}

extension ByteCount: CustomStringConvertible {
    /// A human size in the largest decimal unit that keeps the figure at least 1, with two
    /// decimals: "512 B", "1.50 GB". Digits are computed exactly, without floating point.
    public var description: String {
        guard let unit = ByteUnit.decimalUnits.last(where: { bytes >= $0.multiplier }) else {
            return "\(bytes) B"
        }
        // Round half up to hundredths: (bytes * 100 + unit / 2) / unit, in full width.
        let scaled = UInt64(bytes).multipliedFullWidth(by: 100)
        let (low, carry) = scaled.low.addingReportingOverflow(UInt64(unit.multiplier / 2))
        let hundredths = UInt64(unit.multiplier).dividingFullWidth(
            (scaled.high + (carry ? 1 : 0), low)
        ).quotient
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction) \(unit.symbol)"
    }
}
