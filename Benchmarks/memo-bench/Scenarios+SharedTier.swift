#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Dispatch
import Foundation
import Memo
import MemoPostgres
import PostgresNIO
import Synchronization

/// Scenarios 12 and 13: the shared tier on the throwaway PostgreSQL server `make bench`
/// starts (Scripts/throwaway-postgres.sh); skipped without one.
extension Scenarios {
    /// The server from the environment.
    struct Server {
        let host: String
        let port: Int

        static var current: Server? {
            let environment = ProcessInfo.processInfo.environment
            guard let host = environment["MEMO_TEST_POSTGRES_HOST"],
                let port = environment["MEMO_TEST_POSTGRES_PORT"].flatMap(Int.init)
            else { return nil }
            return Server(host: host, port: port)
        }

        /// A fresh database.
        func makeDatabase() -> String {
            let name = "memo_bench_\(UInt32.random(in: 0...UInt32.max))"
            blocking {
                let client = PostgresClient(
                    configuration: .init(
                        host: host, port: port, username: "postgres", password: nil,
                        database: "postgres", tls: .disable))
                let runner = Task { await client.run() }
                defer { runner.cancel() }
                try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
            }
            return name
        }

        func tier(_ database: String) -> PostgresTier {
            blocking {
                try await PostgresTier(
                    host: host, port: port, username: "postgres", database: database)
            }
        }
    }

    /// Runs async work from the benchmark's synchronous code.
    static func blocking<Value: Sendable>(_ work: @escaping @Sendable () async throws -> Value)
        -> Value
    {
        let result = Mutex<Result<Value, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            let outcome: Result<Value, any Error>
            do { outcome = .success(try await work()) } catch { outcome = .failure(error) }
            result.withLock { $0 = outcome }
            done.signal()
        }
        done.wait()
        return try! result.withLock { $0! }.get()
    }

    /// Scenario 12: a hit served by the tier over loopback (a cache that does not hold the
    /// value asks PostgreSQL, checks and keeps it), against a local disk hit of the same
    /// value (a cache whose memory holds one value reads it back from its spill file).
    static func sharedTierHit(directory: String) throws -> BenchmarkResult? {
        guard let server = Server.current else { return nil }
        let database = server.makeDatabase()
        let tier = server.tier(database)
        let value = (0..<1_024).map(Double.init)  // 8 KB
        let keys = (0..<200).map { CacheKey(hashing: "tier-hit", $0) }
        var sharing = CacheConfiguration()
        sharing.sharedTier = tier
        sharing.maxMemory = .megabytes(64)
        let writer = try SpillingCache(sharing)
        for key in keys { writer.store(value, forKey: key) }
        writer.flush()

        var local = CacheConfiguration()
        local.directory = directory + "/tier-baseline"
        local.maxMemory = ByteCount(value.memoryCost + SpillingCache.entryOverhead)
        let disk = try SpillingCache(local)
        for key in keys { disk.store(value, forKey: key) }

        var correct = true
        let (ours, baseline) = Measure.pair(
            iterations: keys.count,
            ours: {
                let reader = try! SpillingCache(sharing)
                for key in keys {
                    correct =
                        correct && reader.value(forKey: key, as: [Double].self)?.count == 1_024
                }
                precondition(reader.stats.sharedHits == keys.count, "every lookup a tier hit")
            },
            baseline: {
                for key in keys {
                    correct = correct && disk.value(forKey: key, as: [Double].self)?.count == 1_024
                }
            })
        precondition(correct, "a lookup returned a wrong value")
        precondition(disk.stats.diskHits >= keys.count, "the baseline reads from disk")
        // The floor under ours: the tier's own fetch, awaited in a task, no cache around it.
        let raw = blocking { () async throws -> Double in
            var samples: [Double] = []
            for _ in 0..<5 {
                let start = ContinuousClock.now
                for key in keys { _ = try await tier.fetch(key) }
                let elapsed = ContinuousClock.now - start
                samples.append(
                    (Double(elapsed.components.seconds)
                        + Double(elapsed.components.attoseconds) / 1e18) / Double(keys.count))
            }
            return samples.sorted()[samples.count / 2]
        }
        blocking { await tier.shutdown() }
        return BenchmarkResult(
            name: "12 shared tier hit", ours: ours * 1e6, baseline: baseline * 1e6,
            unit: "µs/hit", ratio: ours / baseline, target: 10, direction: .atMost,
            note: "an 8 KB value from PostgreSQL on loopback vs from a local spill file; "
                + "PostgresTier.fetch alone, awaited with no cache: \(Report.number(raw * 1e6)) µs")
    }

    /// Scenario 13: four worker processes (memo-fleet-worker) get-or-compute the same 40
    /// slow keys through one database; the figure is the computations in all, beside the
    /// distinct keys. The note gives the four workers' wall time beside one worker alone.
    static func fleetComputations() throws -> BenchmarkResult? {
        guard let server = Server.current else { return nil }
        let workerPath =
            URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("memo-fleet-worker").path
        guard FileManager.default.isExecutableFile(atPath: workerPath) else {
            print("13 fleet: memo-fleet-worker is not built beside memo-bench; skipped")
            return nil
        }
        let keys = 40
        func run(_ workers: Int) -> (computations: Int, seconds: Double) {
            let database = server.makeDatabase()
            let start = ContinuousClock.now
            let processes = (0..<workers).map { _ -> (Process, Pipe) in
                let process = Process()
                let output = Pipe()
                process.executableURL = URL(fileURLWithPath: workerPath)
                process.arguments = [
                    "compute", server.host, "\(server.port)", database, "\(keys)", "25",
                ]
                process.standardOutput = output
                try! process.run()
                return (process, output)
            }
            var computations = 0
            for (process, output) in processes {
                let text = String(
                    decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                computations +=
                    text.split(separator: "\n").filter { $0.hasPrefix("computed ") }
                    .count
            }
            let elapsed = ContinuousClock.now - start
            return (
                computations,
                Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            )
        }
        let one = run(1)
        let four = run(4)
        return BenchmarkResult(
            name: "13 four workers, 40 keys", ours: Double(four.computations),
            baseline: Double(keys), unit: "bodies", ratio: Double(four.computations) / Double(keys),
            target: 1, direction: .atMost,
            note: "computations by 4 processes vs distinct keys; wall time 4 workers "
                + "\(Report.number(four.seconds)) s, 1 worker \(Report.number(one.seconds)) s")
    }

    static func sharedTierHitIfAsked(_ only: String?, directory: String) throws -> BenchmarkResult?
    {
        guard only == nil || "12 shared tier hit".hasPrefix(only!) else { return nil }
        return try sharedTierHit(directory: directory)
    }

    static func fleetIfAsked(_ only: String?) throws -> BenchmarkResult? {
        guard only == nil || "13 four workers".hasPrefix(only!) else { return nil }
        return try fleetComputations()
    }
}
