// memo-fleet-worker: a worker of a fleet sharing results through PostgreSQL.
//
// The shared tier's tests (Tests/MemoPostgresTests) run it as real processes, several at
// once on one database, and kill some of them. It prints machine-readable lines,
// `name value…`, on stdout. Exit status 0 on success, 2 on bad arguments.
//
// Key `i` is `CacheKey(hashing: "fleet", i)` and its value `expectedValue(i)`, so any
// process can check any value it receives, whoever computed it.
//
//   compute HOST PORT DATABASE KEYS SLEEP_MS [OPTIONS]
//       Get-or-compute (the synchronous API) over keys 0..<KEYS in an order shuffled by
//       the process id; the body sleeps SLEEP_MS, prints `computed K`, and returns the
//       key's value. Prints `shared S failures F` and, last, `wrong W`.
//   read HOST PORT DATABASE KEYS [OPTIONS]
//       Plain lookups of keys 0..<KEYS: `found F missing M wrong W`.
//   refresh HOST PORT DATABASE KEYS SLEEP_MS GENERATION [OPTIONS]
//       Calls a handle (`Memo.function`, freshness `.refresh(after: 2 s)`, no directory:
//       only the tier is shared) over keys 0..<KEYS in an order shuffled by the process
//       id; the body sleeps SLEEP_MS, prints `computed K` and returns
//       `K * 1000 + GENERATION`. Waits for its background refreshes, flushes, and prints
//       `returned R` (calls that returned a value of some generation of their key) and,
//       last, `wrong W`.
//
// OPTIONS: --signing-key TEXT (its UTF-8 bytes), --timeout-ms N.
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Memo
import MemoPostgres

func expectedValue(_ i: Int) -> [Double] {
    (0..<(16 + i % 48)).map { Double(i) * 100 + Double($0) }
}

func fail(_ message: String) -> Never {
    var line = "memo-fleet-worker: \(message)\n"
    line.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
    exit(2)
}

/// Prints a line at once (a killed worker's output must be complete up to its death).
func emit(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { _ = write(STDOUT_FILENO, $0.baseAddress, $0.count) }
}

var arguments = Array(CommandLine.arguments.dropFirst())
var signingKey: [UInt8]?
var timeout = Duration.seconds(1)
if let index = arguments.firstIndex(of: "--signing-key"), index + 1 < arguments.count {
    signingKey = Array(arguments[index + 1].utf8)
    arguments.removeSubrange(index...(index + 1))
}
if let index = arguments.firstIndex(of: "--timeout-ms"), index + 1 < arguments.count,
    let milliseconds = Int(arguments[index + 1])
{
    timeout = .milliseconds(milliseconds)
    arguments.removeSubrange(index...(index + 1))
}
guard arguments.count >= 5, let port = Int(arguments[2]), let keys = Int(arguments[4]) else {
    fail("usage: memo-fleet-worker compute|read|refresh HOST PORT DATABASE KEYS [SLEEP_MS [GENERATION]] [OPTIONS]")
}
let tier = try await PostgresTier(
    host: arguments[1], port: port, username: "postgres", database: arguments[3],
    signingKey: signingKey, timeout: timeout)
var configuration = CacheConfiguration()
configuration.sharedTier = tier
if arguments[0] == "refresh" { try Memo.configure(configuration) }
let cache = arguments[0] == "refresh" ? Memo.cache : try SpillingCache(configuration)

switch arguments[0] {
case "compute":
    guard arguments.count >= 6, let sleepMilliseconds = Int(arguments[5]) else {
        fail("compute needs SLEEP_MS")
    }
    var order = Array(0..<keys)
    var generator = SystemRandomNumberGenerator()
    order.shuffle(using: &generator)
    var wrong = 0
    for i in order {
        let value = cache.value(forKey: CacheKey(hashing: "fleet", i)) { () -> [Double] in
            emit("computed \(i)")
            usleep(UInt32(sleepMilliseconds * 1000))
            return expectedValue(i)
        }
        if value != expectedValue(i) { wrong += 1 }
    }
    cache.flush()
    emit("shared \(cache.stats.sharedHits) failures \(cache.stats.failures)")
    emit("wrong \(wrong)")
case "read":
    var (found, missing, wrong) = (0, 0, 0)
    for i in 0..<keys {
        switch cache.value(forKey: CacheKey(hashing: "fleet", i), as: [Double].self) {
        case nil: missing += 1
        case let value? where value == expectedValue(i): found += 1
        case _?: wrong += 1
        }
    }
    emit("found \(found) missing \(missing) wrong \(wrong)")
case "refresh":
    guard arguments.count >= 7, let sleepMilliseconds = Int(arguments[5]),
        let generation = Int(arguments[6])
    else { fail("refresh needs SLEEP_MS and GENERATION") }
    let handle = Memo.function(name: "fleet.refresh", freshness: .refresh(after: .seconds(2))) {
        (i: Int) -> Int in
        usleep(UInt32(sleepMilliseconds * 1000))
        emit("computed \(i)")
        return i * 1_000 + generation
    }
    var order = Array(0..<keys)
    var generator = SystemRandomNumberGenerator()
    order.shuffle(using: &generator)
    var (returned, wrong) = (0, 0)
    for i in order {
        if handle(i) / 1_000 == i { returned += 1 } else { wrong += 1 }
    }
    await Memo.waitForBackgroundWork()
    cache.flush()
    emit("returned \(returned)")
    emit("wrong \(wrong)")
default:
    fail("unknown subcommand \(arguments[0])")
}
await tier.shutdown()
