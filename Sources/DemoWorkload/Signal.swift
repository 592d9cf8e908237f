#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reproducible test signals: a few sines and some noise.
public enum Signal {
    public static func synthetic(seed: UInt64, count: Int) -> [Double] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func noise() -> Double {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return Double(state % 10_000) / 10_000 - 0.5
        }
        let base = Double(seed % 7 + 3)
        return (0..<count).map { t in
            let x = Double(t) / Double(count)
            return sin(2 * .pi * base * 10 * x) + 0.5 * sin(2 * .pi * (base * 37) * x)
                + 0.2 * noise()
        }
    }
}
