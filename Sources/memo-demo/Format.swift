/// Human figures for the demo's output, without Foundation.
enum Format {
    static func seconds(_ value: Double) -> String {
        value >= 1 ? "\(rounded(value, 2)) s" : "\(rounded(value * 1000, 1)) ms"
    }

    static func ratio(_ value: Double) -> String { "\(rounded(value, 1))x" }

    private static func rounded(_ value: Double, _ decimals: Int) -> String {
        let scale = decimals == 2 ? 100.0 : 10.0
        let scaled = Int((value * scale).rounded())
        let whole = scaled / Int(scale)
        let fraction = String(scaled % Int(scale))
        let padded = String(repeating: "0", count: max(0, decimals - fraction.count)) + fraction
        return "\(whole).\(padded)"
    }
}
