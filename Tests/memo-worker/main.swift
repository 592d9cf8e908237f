// memo-worker: a test worker for persistent cache directories shared by processes.
//
// The multi-process tests (Tests/MemoTests/Persistence/MultiProcessTests.swift) run it as
// real processes, several at once on one directory, and kill some of them. It is driven by
// its arguments and prints machine-readable lines, `name value…`, on stdout; diagnostics
// (a wrong value's key) go to stderr. Exit status 0 on success, 2 on bad arguments.
//
// Every subcommand uses the same keys and values, so that any process can check any value
// it reads, whoever stored it: key `i` is `CacheKey(hashing: "worker", i)` and its value is
// `expectedValue(i)`, a `[Double]` whose length (8 to 392 elements) and contents depend
// only on `i`.
//
//   write DIR N [MAXDISK]
//       Stores the values of keys 0..<N, then exits normally (the exit flushes: no
//       explicit flush() call). Prints `stored N`.
//   read DIR N
//       Reads keys 0..<N with `value(forKey:as:)` and prints
//       `found F wrong W missing M`. `read DIR 0` only opens (or creates) the directory.
//   churn DIR SEED STEPS MAXDISK
//       STEPS random operations seeded by SEED over keys 0..<200: 45 % reads (each one
//       checked), 40 % stores, 15 % removals, with a 32 kB memory budget so that values
//       spill and come back from disk. Prints
//       `steps S reads R found F stores T removes X`, `failures F` and, last, `wrong W`.
//   compute DIR KEYS SLEEP_MS [MAXDISK]
//       Get-or-compute over keys 0..<KEYS in an order shuffled by the process id; the
//       body sleeps SLEEP_MS, prints `computed K` and returns the key's value. Every
//       returned value is checked. Prints `failures F` and, last, `wrong W`.
//
//   refresh DIR KEYS SLEEP_MS GENERATION
//       Calls a handle (`Memo.function`, freshness `.refresh(after: 2 s)`) over keys
//       0..<KEYS in an order shuffled by the process id; the body sleeps SLEEP_MS, prints
//       `computed K` and returns `K * 1000 + GENERATION`. Waits for its background
//       refreshes, flushes, and prints `returned R` (calls that returned a value of some
//       generation of their key) and, last, `wrong W`.
//
//   overwrite DIR KEYS LATENCY_MS
//       Stores rounds of values of keys 0..<KEYS, round after round, until killed, through
//       a disk that sleeps LATENCY_MS before every file write (faster than the disk can
//       keep up). Prints `round R` at the start of each round.
//   read-overwritten DIR KEYS
//       Reads keys 0..<KEYS, accepting any round's value of each key, and prints
//       `found F wrong W missing M`, then `dangling D`: index rows naming a missing file
//       (counted before the reads, which remove such rows).
//
//   costly DIR FIRST COUNT SLEEP_MS MAXDISK EVICTION
//       Get-or-compute over keys FIRST..<FIRST+COUNT, in order, with
//       `diskEviction` EVICTION (`lru` or `cost`); the body sleeps SLEEP_MS (the value's
//       compute cost, on the system clock) and returns `costlyValue(K)`, 64 doubles (every
//       file of one size). Flushes, then prints `stored N` and, last, `wrong W`.
//
// MAXDISK is a byte count (the directory-wide budget); absent, the directory is unbounded.
#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
import Dispatch
import Memo
import MemoTesting

/// The key space of `churn`.
let churnKeyCount = 200

/// Key `i` of every subcommand.
func workerKey(_ i: Int) -> CacheKey {
    CacheKey(hashing: "worker", i)
}

/// The value of key `i`: 8 to 392 doubles, a function of `i` only.
func expectedValue(_ i: Int) -> [Double] {
    let count = 8 + (i * 37 % 97) * 4
    return (0..<count).map { j in Double(i) * 1_000 + Double(j) * 0.5 + 0.25 }
}

/// Writes a line to stderr (unbuffered, so it survives a kill).
func printError(_ message: String) {
    var line = message + "\n"
    line.withUTF8 { bytes in _ = write(STDERR_FILENO, bytes.baseAddress, bytes.count) }
}

/// SplitMix64: a small seeded generator, the same sequence on every platform.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Key `i`'s value of round `round` in `overwrite`: the key, the round, then 62 doubles
/// that depend on both.
func overwriteValue(_ i: Int, round: Int) -> [Double] {
    [Double(i), Double(round)] + (0..<62).map { Double(i * 7 + round * 13 + $0) }
}

/// Whether `value` is some round's value of key `i`.
func isOverwriteValue(_ value: [Double], of i: Int) -> Bool {
    guard value.count == 64, value[0] == Double(i), let round = Int(exactly: value[1]) else {
        return false
    }
    return value == overwriteValue(i, round: round)
}

/// The value of key `i` in `costly`: 64 doubles, so that every spill file has one size.
func costlyValue(_ i: Int) -> [Double] {
    (0..<64).map { Double(i * 64 + $0) }
}

func usage(_ message: String) -> Never {
    printError("memo-worker: \(message)")
    printError(
        "usage: memo-worker write DIR N [MAXDISK] | read DIR N | "
            + "churn DIR SEED STEPS MAXDISK | compute DIR KEYS SLEEP_MS [MAXDISK] | "
            + "overwrite DIR KEYS LATENCY_MS | read-overwritten DIR KEYS | "
            + "costly DIR FIRST COUNT SLEEP_MS MAXDISK lru|cost")
    exit(2)
}

func integer(_ arguments: [String], _ position: Int, _ name: String) -> Int {
    guard position < arguments.count, let value = Int(arguments[position]), value >= 0 else {
        usage("\(name) must be a non-negative integer")
    }
    return value
}

func openCache(
    _ directory: String, maxMemory: ByteCount, maxDisk: Int?,
    eviction: DiskEviction = .leastRecentlyUsed
) -> SpillingCache {
    var configuration = CacheConfiguration()
    configuration.directory = directory
    configuration.persistent = true
    configuration.maxMemory = maxMemory
    configuration.maxDisk = maxDisk.map { ByteCount($0) }
    configuration.diskEviction = eviction
    do {
        return try SpillingCache(configuration)
    } catch {
        printError("memo-worker: cannot open \(directory): \(error)")
        exit(1)
    }
}

/// Says on stderr which key had a wrong value.
func reportWrong(_ i: Int, _ value: [Double], context: String) {
    printError(
        "memo-worker[\(getpid())]: wrong value for key \(i) (\(context)): \(value.count) "
            + "elements, expected \(expectedValue(i).count)")
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else { usage("no subcommand") }
guard arguments.count >= 2 else { usage("no directory") }
let directory = arguments[1]

switch command {
case "write":
    let count = integer(arguments, 2, "N")
    let maxDisk = arguments.count > 3 ? integer(arguments, 3, "MAXDISK") : nil
    let cache = openCache(directory, maxMemory: .megabytes(1), maxDisk: maxDisk)
    for i in 0..<count {
        cache.store(expectedValue(i), forKey: workerKey(i))
    }
    print("stored \(count)")

case "read":
    let count = integer(arguments, 2, "N")
    let cache = openCache(directory, maxMemory: .megabytes(1), maxDisk: nil)
    var (found, wrong, missing) = (0, 0, 0)
    for i in 0..<count {
        if let value = cache.value(forKey: workerKey(i), as: [Double].self) {
            found += 1
            if value != expectedValue(i) {
                wrong += 1
                reportWrong(i, value, context: "read")
            }
        } else {
            missing += 1
        }
    }
    print("found \(found) wrong \(wrong) missing \(missing)")

case "churn":
    let seed = integer(arguments, 2, "SEED")
    let steps = integer(arguments, 3, "STEPS")
    let maxDisk = integer(arguments, 4, "MAXDISK")
    let cache = openCache(directory, maxMemory: .kilobytes(32), maxDisk: maxDisk)
    var random = SplitMix64(seed: UInt64(seed))
    var (reads, found, stores, removes, wrong) = (0, 0, 0, 0, 0)
    for _ in 0..<steps {
        let i = Int.random(in: 0..<churnKeyCount, using: &random)
        let roll = Int.random(in: 0..<100, using: &random)
        if roll < 45 {
            reads += 1
            if let value = cache.value(forKey: workerKey(i), as: [Double].self) {
                found += 1
                if value != expectedValue(i) {
                    wrong += 1
                    reportWrong(i, value, context: "churn read")
                }
            }
        } else if roll < 85 {
            stores += 1
            cache.store(expectedValue(i), forKey: workerKey(i))
        } else {
            removes += 1
            cache.removeValue(forKey: workerKey(i))
        }
    }
    print("steps \(steps) reads \(reads) found \(found) stores \(stores) removes \(removes)")
    print("failures \(cache.stats.failures)")
    print("wrong \(wrong)")

case "compute":
    let count = integer(arguments, 2, "KEYS")
    let sleepMilliseconds = integer(arguments, 3, "SLEEP_MS")
    let maxDisk = arguments.count > 4 ? integer(arguments, 4, "MAXDISK") : nil
    let cache = openCache(directory, maxMemory: .megabytes(1), maxDisk: maxDisk)
    var random = SplitMix64(seed: UInt64(getpid()))
    var wrong = 0
    for i in (0..<count).shuffled(using: &random) {
        let value = cache.value(forKey: workerKey(i)) { () -> [Double] in
            if sleepMilliseconds > 0 { usleep(UInt32(sleepMilliseconds) * 1_000) }
            print("computed \(i)")
            return expectedValue(i)
        }
        if value != expectedValue(i) {
            wrong += 1
            reportWrong(i, value, context: "compute")
        }
    }
    print("failures \(cache.stats.failures)")
    print("wrong \(wrong)")

case "costly":
    let first = integer(arguments, 2, "FIRST")
    let count = integer(arguments, 3, "COUNT")
    let sleepMilliseconds = integer(arguments, 4, "SLEEP_MS")
    let maxDisk = integer(arguments, 5, "MAXDISK")
    guard arguments.count > 6, ["lru", "cost"].contains(arguments[6]) else {
        usage("EVICTION must be lru or cost")
    }
    let cache = openCache(
        directory, maxMemory: .megabytes(1), maxDisk: maxDisk,
        eviction: arguments[6] == "cost" ? .costAware : .leastRecentlyUsed)
    var wrong = 0
    for i in first..<(first + count) {
        let value = cache.value(forKey: CacheKey(hashing: "costly", i)) { () -> [Double] in
            if sleepMilliseconds > 0 { usleep(UInt32(sleepMilliseconds) * 1_000) }
            return costlyValue(i)
        }
        if value != costlyValue(i) { wrong += 1 }
    }
    cache.flush()
    print("stored \(count)")
    print("wrong \(wrong)")

case "refresh":
    let count = integer(arguments, 2, "KEYS")
    let sleepMilliseconds = integer(arguments, 3, "SLEEP_MS")
    let generation = integer(arguments, 4, "GENERATION")
    var configuration = CacheConfiguration()
    configuration.directory = directory
    configuration.persistent = true
    configuration.maxMemory = .megabytes(1)
    do { try Memo.configure(configuration) } catch {
        printError("memo-worker: cannot open \(directory): \(error)")
        exit(1)
    }
    let handle = Memo.function(name: "worker.refresh", freshness: .refresh(after: .seconds(2))) {
        (i: Int) -> Int in
        if sleepMilliseconds > 0 { usleep(UInt32(sleepMilliseconds) * 1_000) }
        print("computed \(i)")
        return i * 1_000 + generation
    }
    var random = SplitMix64(seed: UInt64(getpid()))
    var (returned, wrong) = (0, 0)
    for i in (0..<count).shuffled(using: &random) {
        let value = handle(i)
        if value / 1_000 == i { returned += 1 } else { wrong += 1 }
    }
    let finished = DispatchSemaphore(value: 0)
    // Detached: top-level code is on the main actor, which the wait below blocks.
    Task.detached {
        await Memo.waitForBackgroundWork()
        finished.signal()
    }
    finished.wait()
    Memo.cache.flush()
    print("returned \(returned)")
    print("wrong \(wrong)")

case "overwrite":
    let count = integer(arguments, 2, "KEYS")
    let latency = integer(arguments, 3, "LATENCY_MS")
    let slowDisk = FaultInjectingFileSystem(wrapping: LocalFileSystem())
    slowDisk.inject(.init(.write, on: .always, action: .latency(.milliseconds(latency))))
    var configuration = CacheConfiguration()
    configuration.directory = directory
    configuration.persistent = true
    configuration.maxMemory = .megabytes(1)
    configuration.fileSystem = slowDisk
    let cache: SpillingCache
    do {
        cache = try SpillingCache(configuration)
    } catch {
        printError("memo-worker: cannot open \(directory): \(error)")
        exit(1)
    }
    for round in 0... {
        print("round \(round)")
        for i in 0..<count { cache.store(overwriteValue(i, round: round), forKey: workerKey(i)) }
        // Still a thousand times faster than the disk (50 stores a millisecond, 50 files a
        // second): the pause only keeps this loop from taking a whole core, which no caller
        // waits for any more, from the write-behind worker on a loaded two-core machine.
        usleep(1_000)
    }

case "read-overwritten":
    let count = integer(arguments, 2, "KEYS")
    // Checked before reading: a read removes a row whose file is gone.
    let dangling: Int
    do {
        let report = try MaintainedDirectory(path: directory).verify(repair: false)
        dangling = report.findings.count { $0.kind == .missingFile }
    } catch {
        printError("memo-worker: cannot verify \(directory): \(error)")
        exit(1)
    }
    let cache = openCache(directory, maxMemory: .megabytes(1), maxDisk: nil)
    var (found, wrong, missing) = (0, 0, 0)
    for i in 0..<count {
        guard let value = cache.value(forKey: workerKey(i), as: [Double].self) else {
            missing += 1
            continue
        }
        found += 1
        if !isOverwriteValue(value, of: i) {
            wrong += 1
            printError("memo-worker: key \(i) read a value of another key or round")
        }
    }
    print("found \(found) wrong \(wrong) missing \(missing)")
    print("dangling \(dangling)")

default:
    usage("unknown subcommand \(command)")
}
