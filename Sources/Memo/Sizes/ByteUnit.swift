/// The units ``ByteCount`` accepts and prints.
struct ByteUnit: Sendable {
    let symbol: String
    let multiplier: Int

    static let byte = ByteUnit(symbol: "B", multiplier: 1)
    static let kilobyte = ByteUnit(symbol: "KB", multiplier: 1_000)
    static let megabyte = ByteUnit(symbol: "MB", multiplier: 1_000_000)
    static let gigabyte = ByteUnit(symbol: "GB", multiplier: 1_000_000_000)
    static let terabyte = ByteUnit(symbol: "TB", multiplier: 1_000_000_000_000)
    static let kibibyte = ByteUnit(symbol: "KiB", multiplier: 1 << 10)
    static let mebibyte = ByteUnit(symbol: "MiB", multiplier: 1 << 20)
    static let gibibyte = ByteUnit(symbol: "GiB", multiplier: 1 << 30)
    static let tebibyte = ByteUnit(symbol: "TiB", multiplier: 1 << 40)

    static let all: [ByteUnit] = [
        .byte, .kilobyte, .megabyte, .gigabyte, .terabyte,
        .kibibyte, .mebibyte, .gibibyte, .tebibyte,
    ]
    /// Ascending, for printing.
    static let decimalUnits: [ByteUnit] = [.kilobyte, .megabyte, .gigabyte, .terabyte]

    /// The unit whose symbol matches `text`, ignoring case.
    static func named(_ text: Substring) -> ByteUnit? {
        let lowered = text.lowercased()
        return all.first { $0.symbol.lowercased() == lowered }
    }
}
