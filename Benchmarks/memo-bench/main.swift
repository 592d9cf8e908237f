// memo-bench: every performance claim beside its baseline, measured in the same run.
// `make bench` builds it in release mode; results go to stdout and .build/benchmarks.json.
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Cxxhash
import Memo
import Synchronization

let only = CommandLine.arguments.dropFirst().first
var results: [BenchmarkResult] = []

@MainActor
func scenario(_ name: String, _ body: () throws -> BenchmarkResult) rethrows {
    try scenarios(name) { [try body()] }
}

@MainActor
func scenarios(_ name: String, _ body: () throws -> [BenchmarkResult]) rethrows {
    guard only == nil || name.hasPrefix(only!) else { return }
    for result in try body() {
        results.append(result)
        print(Report.table([result]).split(separator: "\n").last!)
    }
    fflush(nil)
}

// `memo-bench profile-hit [N]`: N (200,000) memoized hits and nothing else, for
// `valgrind --tool=callgrind`, which counts instructions repeatably on these machines.
// Instructions per hit: the difference of two runs' totals over the difference of their N.
if only == "profile-hit" {
    let hits = CommandLine.arguments.dropFirst(2).first.flatMap { Int($0) } ?? 200_000
    var configuration = CacheConfiguration()
    configuration.maxMemory = .megabytes(64)
    try Memo.configure(configuration)
    let double = Memo.memoized(name: "bench.double") { (x: Int) -> Int in x &* 2 }
    var sum = 0
    for i in 0..<hits { sum &+= double(i & 1023) }
    blackHole(sum)
    exit(0)
}

// `memo-bench profile-key codable|hand-written [N]`: N (200,000) keys of the four-field
// query of scenario 16, for callgrind: instructions per key as for profile-hit.
if only == "profile-key" {
    let kind = CommandLine.arguments.dropFirst(2).first ?? "codable"
    let keys = CommandLine.arguments.dropFirst(3).first.flatMap { Int($0) } ?? 200_000
    let (codable, handWritten) = Scenarios.codableQueries(1024)
    if kind == "codable" {
        for i in 0..<keys { blackHole(CacheKey(hashing: codable[i & 1023])) }
    } else {
        for i in 0..<keys { blackHole(CacheKey(hashing: handWritten[i & 1023])) }
    }
    exit(0)
}

// `memo-bench profile-lookup cache|dictionary [N]`: N (200,000) random hits among
// 1,000,000 entries of a cache or of scenario 4b's dictionary, for
// `valgrind --tool=cachegrind --cache-sim=yes`: cache misses per hit as for profile-hit.
if only == "profile-lookup" {
    let kind = CommandLine.arguments.dropFirst(2).first ?? "cache"
    let hits = CommandLine.arguments.dropFirst(3).first.flatMap { Int($0) } ?? 200_000
    blackHole(try Scenarios.profileLookup(hits, inCache: kind == "cache"))
    exit(0)
}

/// A scratch directory for spill files, removed at the end: under `/tmp`, or under
/// `$MEMO_BENCH_DIR` (to compare file systems, such as a tmpfs against the disk).
let scratch =
    "\(getenv("MEMO_BENCH_DIR").map { String(cString: $0) } ?? "/tmp")/memo-bench-\(getpid())"
mkdir(scratch, 0o700)
defer { Scenarios.removeTree(scratch) }

print(
    "memo-bench: median of \(Measure.repetitions) runs after a warm-up; ours and baseline alternate\n"
)
// Scenario 6 first: it measures resident memory, which memory freed by earlier scenarios
// (the caches of 1,000,000 entries of 4 and 5) would hide by being reused.
try scenarios("6 bytes per entry") { try Scenarios.bytesPerEntry() }
try scenario("1 memoized hit") { try Scenarios.memoizedHit() }
try scenario("2 key of 8 MiB") { try Scenarios.keyThroughput() }
try scenario("3 spill+reload") { try Scenarios.spillReload(directory: scratch) }
try scenario("4 hit latency 1M/1k") { try Scenarios.hitLatencyScaling() }
try scenario("4b hit latency 1M/dict") { try Scenarios.hitLatencyAgainstDictionary() }
try scenario("5 stats, 1M entries") { try Scenarios.statsCost() }
try scenario("7 two-thread hits") { try Scenarios.twoThreadHits() }
try scenario("7b four-thread hits") { try Scenarios.fourThreadHits() }
try scenario("7c two-thread memoized hits") { try Scenarios.twoThreadMemoizedHits() }
try scenario("8 single flight") { try Scenarios.singleFlight() }
try scenario("9 reopen 100k") { try Scenarios.reopenLargeDirectory(directory: scratch) }
try scenario("9b memo stats 100k") { try Scenarios.statsOfLargeDirectory(directory: scratch) }
try scenario("10 persistent store") {
    try Scenarios.persistentStoreThroughput(directory: scratch)
}
try scenario("11 metrics on a hit") { try Scenarios.metricsOnHit() }
try scenarios("15 Codable spill round trip") {
    try Scenarios.codableSpillRoundTrip(directory: scratch)
}
scenario("16 key of a Codable struct") { Scenarios.codableKey() }
scenario("16b key of a Codable 8 MiB") { Scenarios.codableLargeKey() }
try scenario("16c memoized hit, Codable arg") { try Scenarios.codableMemoizedHit() }
try scenario("17 handle hit") { try Scenarios.handleHit() }
try scenario("17b stale hit") { try Scenarios.staleHit() }
try scenario("18 cost-aware recompute") { try Scenarios.costAwareTrace() }
try scenarios("14 overwrites behind a slow disk") {
    try Scenarios.overwritesBehindSlowDisk(directory: scratch)
}
if Scenarios.Server.current == nil, only == nil || "12 shared tier".hasPrefix(only!) {
    print("12, 13: no PostgreSQL server (make bench starts one); the shared tier is not measured")
}
if let result = try Scenarios.sharedTierHitIfAsked(only, directory: scratch) {
    results.append(result)
    print(Report.table([result]).split(separator: "\n").last!)
}
if let result = try Scenarios.fleetIfAsked(only) {
    results.append(result)
    print(Report.table([result]).split(separator: "\n").last!)
}

print("\n" + Report.table(results))
let json = Report.json(results)
if let file = fopen(".build/benchmarks.json", "w") {
    fputs(json, file)
    fclose(file)
    print("\nwrote .build/benchmarks.json")
}
