#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The demo's expensive function: a power spectrum by the textbook O(n²) DFT.
public enum PowerSpectrum {
    /// |X_k|² / n for k in 0...n/2.
    public static func naiveDFT(_ signal: [Double]) -> [Double] {
        let n = signal.count
        var power = [Double](repeating: 0, count: n / 2 + 1)
        for k in 0...(n / 2) {
            var real = 0.0
            var imaginary = 0.0
            let step = -2.0 * Double.pi * Double(k) / Double(n)
            for (t, sample) in signal.enumerated() {
                let angle = step * Double(t)
                real += sample * cos(angle)
                imaginary += sample * sin(angle)
            }
            power[k] = (real * real + imaginary * imaginary) / Double(n)
        }
        return power
    }

    /// The indices of the `count` largest values, largest first.
    public static func strongestBins(_ power: [Double], count: Int) -> [Int] {
        Array(power.indices.sorted { power[$0] > power[$1] }.prefix(count))
    }
}
