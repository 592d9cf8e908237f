// memo-fleet-demo: one worker of a fleet sharing results through PostgreSQL.
//
//   memo-fleet-demo NAME HOST PORT [DATABASE]
//
// Runs the workload of memo-demo (power spectra of the same 24 synthetic signals, by a
// naive DFT) with a cache whose shared tier is a PostgresTier. It prints a line for each
// spectrum it computes itself, then how many it computed and how many the tier served.
// `make demo-fleet` runs three of these at once against a throwaway server: across the
// fleet, each spectrum is computed once.
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import DemoWorkload
import Memo
import MemoPostgres

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 3, let port = Int(arguments[2]) else {
    print("usage: memo-fleet-demo NAME HOST PORT [DATABASE]")
    exit(64)
}
let name = arguments[0]
let tier = try await PostgresTier(
    host: arguments[1], port: port, username: "postgres",
    database: arguments.count > 3 ? arguments[3] : "postgres")
var configuration = CacheConfiguration()
configuration.maxMemory = .kilobytes(96)
configuration.sharedTier = tier
try Memo.configure(configuration)

let signals = (0..<24).map { Signal.synthetic(seed: UInt64($0), count: 2048) }
let spectrum = Memo.memoized(name: "spectrum") { (signal: [Double]) -> [Double] in
    PowerSpectrum.naiveDFT(signal)
}

// Each worker starts at its own place in the list, as a fleet's workers would pick work.
let offset = abs(name.hashValue) % signals.count
let start = ContinuousClock.now
var computed: [Int] = []
for step in 0..<signals.count {
    let index = (offset + step) % signals.count
    let before = Memo.stats.misses
    _ = await Task { spectrum(signals[index]) }.value
    if Memo.stats.misses > before {
        computed.append(index)
        print("\(name): computed the spectrum of signal \(index)")
    }
}
Memo.cache.flush()
let elapsed = ContinuousClock.now - start
let milliseconds =
    elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
let stats = Memo.stats
print(
    "\(name): \(signals.count) spectra in \(milliseconds) ms: "
        + "\(computed.count) computed here, \(stats.sharedHits) from the shared tier")
await tier.shutdown()
