// memo-demo: a memoized workload under a small memory budget.
//
// Power spectra of synthetic signals, by a naive O(n²) DFT, are memoized with
// `Memo.memoized`. The budget holds only some of them, so the cold pass spills the rest to
// disk and the warm pass reloads them. It prints both passes' times, `Memo.report()`, and
// removes its cache directory when done.
//
// `memo-demo keys` prints sample keys instead (the tests compare them with their own, to
// show keys are the same in another process). `memo-demo spill-and-exit` spills into a
// generated directory, prints its path and exits without clearing: the tests check that
// the directory is gone after a normal exit.
//
// `memo-demo --directory DIR` runs the same workload on a persistent cache in DIR and
// keeps it: `make demo` then shows the directory with the `memo` tool, and running the
// demo again on DIR serves every result from disk.
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import DemoWorkload
import Memo

if CommandLine.arguments.dropFirst().first == "keys" {
    for (name, key) in DemoKeys.samples { print("\(name)\t\(key.hex)") }
    print("order\t\(DemoKeys.iterationOrder)")
    exit(0)
}

if CommandLine.arguments.dropFirst().first == "spill-and-exit" {
    var configuration = CacheConfiguration()
    configuration.maxMemory = .kilobytes(1)
    let cache = try SpillingCache(configuration)
    for n in 0..<4 {
        cache.store([Double](repeating: Double(n), count: 100), forKey: CacheKey(hashing: n))
    }
    print(cache.directory)
    print(cache.stats.diskEntries)
    exit(0)
}

let signalCount = 24
let sampleCount = 2048
let interactive = isatty(STDOUT_FILENO) != 0

var configuration = CacheConfiguration()
configuration.maxMemory = .kilobytes(96)  // about 5 of the 24 spectra and their peaks
let arguments = Array(CommandLine.arguments.dropFirst())
let persistentDirectory = arguments.first == "--directory" ? arguments.dropFirst().first : nil
if arguments.first == "--directory" && persistentDirectory == nil {
    print("memo-demo: --directory needs a path, as in: memo-demo --directory /tmp/memo-demo")
    exit(64)
}
if let persistentDirectory {
    configuration.directory = persistentDirectory
    configuration.persistent = true
}
try Memo.configure(configuration)
let directory = Memo.cache.directory

let spectrum = Memo.memoized(name: "spectrum") { (signal: [Double]) -> [Double] in
    PowerSpectrum.naiveDFT(signal)
}
let peaks = Memo.memoized(name: "peaks") { (signal: [Double], count: Int) -> [Int] in
    PowerSpectrum.strongestBins(spectrum(signal), count: count)
}

let signals = (0..<signalCount).map { Signal.synthetic(seed: UInt64($0), count: sampleCount) }

/// Runs every signal through the memoized functions; returns the seconds it took.
func pass(_ label: String) -> Double {
    let start = ContinuousClock.now
    for (index, signal) in signals.enumerated() {
        _ = peaks(signal, 3)
        _ = spectrum(signal)
        if interactive {
            print("\r  \(label): \(index + 1)/\(signals.count) signals", terminator: "")
            fflush(nil)  // all output streams; `stdout` itself is a C global Swift 6 rejects
        }
    }
    if interactive { print("\r", terminator: "") }
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

print("memo-demo: \(signalCount) signals of \(sampleCount) samples, naive DFT power spectra")
print("memory budget \(configuration.maxMemory), spilling to \(directory)\n")

let cold = pass("cold pass")
let afterCold = Memo.stats
print(
    "cold pass: \(Format.seconds(cold))  (\(afterCold.misses) computed, \(afterCold.spills) spilled)"
)

let warm = pass("warm pass")
let afterWarm = Memo.stats
print(
    "warm pass: \(Format.seconds(warm))  (\(afterWarm.hits - afterCold.hits) hits, "
        + "\(afterWarm.diskHits - afterCold.diskHits) reloaded from disk), "
        + "\(Format.ratio(cold / max(warm, 1e-9))) faster\n")

let strongest = peaks(signals[0], 3)
print("strongest bins of signal 0: \(strongest)\n")
print(Memo.report())
print("")
print(Memo.stats)

if let persistentDirectory {
    // Kept for the next run and for the `memo` tool; a normal exit makes it durable.
    print("\npersistent cache kept in \(persistentDirectory)")
    exit(0)
}
Memo.clear()
let removed = access(directory, F_OK) != 0
print("\ncache directory \(removed ? "removed" : "still present"): \(directory)")
