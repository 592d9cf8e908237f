import Foundation
import Memo
import MemoTesting
import Synchronization
import Testing

private struct ParseError: Error, Equatable { var text: String }

/// Each test runs with its own Memo (`.isolatedMemo`), so this suite runs in parallel.
@Suite("Memo.memoized", .isolatedMemo)
struct MemoizedTests {
    @Test("a sync function runs once per distinct arguments")
    func sync() {
        let runs = Counter()
        let add = Memo.memoized(name: "add") { (a: Int, b: Int) -> Int in
            runs.increment()
            return a + b
        }
        #expect(add(1, 2) == 3)
        #expect(add(1, 2) == 3)
        #expect(add(2, 1) == 3)
        #expect(runs.value == 2)
        #expect(Memo.stats.hits == 1)
        #expect(Memo.stats.misses == 2)
    }

    @Test("zero arguments and many arguments")
    func arities() {
        let runs = Counter()
        let constant = Memo.memoized(name: "constant") { () -> Int in
            runs.increment()
            return 7
        }
        #expect(constant() == 7)
        #expect(constant() == 7)
        #expect(runs.value == 1)
        let many = Memo.memoized(name: "many") {
            (a: Int, b: String, c: [Double], d: Bool, e: Int?, f: [String: Int]) -> String in
            "\(a)\(b)\(c.count)\(d)\(e ?? -1)\(f.count)"
        }
        #expect(many(1, "x", [1, 2], true, nil, ["k": 1]) == "1x2true-11")
        #expect(many(1, "x", [1, 2], true, nil, ["k": 1]) == "1x2true-11")
        #expect(Memo.stats.hits == 2)
    }

    @Test("a throwing function's errors reach the caller and are never cached")
    func throwing() throws {
        let runs = Counter()
        let parse = Memo.memoized(name: "parse") { (text: String) throws -> Int in
            runs.increment()
            guard let value = Int(text) else { throw ParseError(text: text) }
            return value
        }
        #expect(try parse("12") == 12)
        #expect(try parse("12") == 12)
        #expect(throws: ParseError(text: "x")) { try parse("x") }
        #expect(throws: ParseError(text: "x")) { try parse("x") }
        #expect(runs.value == 3, "the failing call ran both times")
    }

    @Test("async and async throwing functions")
    func async() async throws {
        let runs = Counter()
        let double = Memo.memoized(name: "double") { (x: Int) async -> Int in
            runs.increment()
            return x * 2
        }
        #expect(await double(21) == 42)
        #expect(await double(21) == 42)
        let fetch = Memo.memoized(name: "fetch", version: 2) { (id: Int) async throws -> [UInt8] in
            runs.increment()
            if id < 0 { throw ParseError(text: "\(id)") }
            return [UInt8(id)]
        }
        #expect(try await fetch(5) == [5])
        #expect(try await fetch(5) == [5])
        await #expect(throws: ParseError(text: "-1")) { try await fetch(-1) }
        #expect(runs.value == 3)
    }

    @Test("a result of a subclass hits as the class the function returns")
    func subclassResult() {
        let runs = Counter()
        let make = Memo.memoized(name: "shape") { (sides: Int) -> Shape in
            runs.increment()
            return Square(sides: sides)
        }
        #expect(make(4).sides == 4)
        #expect(make(4).sides == 4)
        #expect(make(4) is Square)
        #expect(runs.value == 1)
        #expect(Memo.stats.hits == 2)
    }

    @Test("a cached nil is a hit")
    func cachedNil() {
        let runs = Counter()
        let lookup = Memo.memoized(name: "lookup") { (key: String) -> Int? in
            runs.increment()
            return nil
        }
        #expect(lookup("absent") == nil)
        #expect(lookup("absent") == nil)
        #expect(runs.value == 1)
        #expect(Memo.stats.hits == 1)
    }

    @Test("names and versions separate results; the same name shares them")
    func namesAndVersions() {
        let first = Memo.memoized(name: "shared") { (x: Int) -> Int in x + 1 }
        let same = Memo.memoized(name: "shared") { (x: Int) -> Int in x + 1000 }
        let other = Memo.memoized(name: "other") { (x: Int) -> Int in x + 2 }
        let bumped = Memo.memoized(name: "shared", version: 2) { (x: Int) -> Int in x + 3 }
        #expect(first(1) == 2)
        #expect(same(1) == 2, "same name, same results")
        #expect(other(1) == 3)
        #expect(bumped(1) == 4, "a new version recomputes")
    }

    @Test("anonymous wrappers at different call sites never share; one created twice does")
    func anonymous() {
        let a = Memo.memoized { (x: Int) -> Int in x + 1 }
        let b = Memo.memoized { (x: Int) -> Int in x + 2 }
        #expect(a(1) == 2)
        #expect(b(1) == 3)
        func make() -> @Sendable (Int) -> Int {
            Memo.memoized { (x: Int) -> Int in x * 10 }
        }
        let runsBefore = Memo.stats.misses
        #expect(make()(4) == 40)
        #expect(make()(4) == 40)
        #expect(Memo.stats.misses == runsBefore + 1)
    }

    @Test("a recursive function memoizes its own sub-calls")
    func recursion() {
        let runs = Counter()
        let fibonacci = Memo.recursive(name: "fib") { (fib, n: Int) -> Int in
            runs.increment()
            return n < 2 ? n : fib(n - 1) + fib(n - 2)
        }
        #expect(fibonacci(90) == 2_880_067_194_370_816_120)
        #expect(runs.value == 91)
        #expect(fibonacci(90) == 2_880_067_194_370_816_120)
        #expect(runs.value == 91)
    }

    @Test("8 tasks calling with equal arguments run the body once")
    func singleFlightTasks() async {
        let runs = Counter()
        let slow = Memo.memoized(name: "slow-async") { (x: Int) async -> Int in
            runs.increment()
            try? await Task.sleep(for: .milliseconds(300))
            return x + 1
        }
        let results = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<8 { group.addTask { await slow(1) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(runs.value == 1)
        #expect(results == Array(repeating: 2, count: 8))
        #expect(Memo.stats.hits == 7)
    }

    @Test("several functions share one budget, spill and reload")
    func sharedBudget() throws {
        var configuration = isolatedConfiguration()
        configuration.maxMemory = .bytes(4 * (800 + 72 + SpillingCache.entryOverhead))
        try withIsolatedMemo(configuration) { _ in
            let ramp = Memo.memoized(name: "ramp") { (n: Int) -> [Double] in
                (0..<100).map { Double($0 * n) }
            }
            let square = Memo.memoized(name: "square") { (n: Int) -> [Double] in
                (0..<100).map { Double($0 * $0 * n) }
            }
            for n in 0..<6 {
                _ = ramp(n)
                _ = square(n)
            }
            let stats = Memo.stats
            #expect(stats.memoryBytes <= configuration.maxMemory.bytes)
            #expect(stats.spills >= 8)
            #expect(ramp(0) == (0..<100).map { _ in 0.0 })
            #expect(square(1) == (0..<100).map { Double($0 * $0) })
            #expect(Memo.stats.diskHits == 2)
            let report = Memo.report()
            #expect(report.contains("ramp"))
            #expect(report.contains("square"))
        }
    }

    @Test("report lists each function with true counts, aligned")
    func report() {
        let f = Memo.memoized(name: "alpha") { (x: Int) -> Int in x }
        let g = Memo.memoized(name: "beta-function") { (x: Int) -> Int in x }
        for x in [1, 1, 1, 2] { _ = f(x) }
        _ = g(1)
        let lines = Memo.report().split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0].hasPrefix("function"))
        let alpha = lines.first { $0.hasPrefix("alpha") }.map { $0.split(separator: " ") }
        #expect(alpha?[1] == "4")  // calls
        #expect(alpha?[2] == "2")  // hits
        #expect(alpha?[3] == "2")  // misses
        #expect(alpha?[4] == "50.0%")
        let widths = Set(lines.prefix(3).map(\.count))
        #expect(widths.count == 1, "rows are aligned: \(lines.prefix(3))")
        #expect(Memo.report().contains("cache: 2 hits"))
    }
}

/// Tests of the process-wide registry itself: serialized, and they restore a private
/// configuration when done.
@Suite("Memo registry", .serialized)
struct MemoRegistryTests {
    func privateConfiguration() -> CacheConfiguration {
        var configuration = CacheConfiguration()
        configuration.fileSystem = InMemoryFileSystem()
        configuration.directory = "/registry"
        configuration.maxMemory = .megabytes(1)
        return configuration
    }

    @Test("configure replaces the cache and clears the old one; clear empties it")
    func configureAndClear() throws {
        try Memo.configure(privateConfiguration())
        let old = Memo.cache
        let square = Memo.memoized(name: "registry-square") { (x: Int) -> Int in x * x }
        #expect(square(3) == 9)
        #expect(Memo.stats.memoryEntries == 1)
        try Memo.configure(privateConfiguration())
        #expect(Memo.cache !== old)
        #expect(old.stats.memoryEntries == 0, "the old cache was cleared")
        #expect(Memo.stats == CacheStats())
        #expect(square(3) == 9)
        #expect(Memo.stats.misses == 1)
        Memo.clear()
        #expect(Memo.stats.memoryEntries == 0)
        #expect(Memo.stats.misses == 1, "clear keeps counters")
        #expect(Memo.stats == Memo.cache.stats)
    }

    @Test("8 threads calling with equal arguments run the body once")
    func singleFlightThreads() throws {
        try Memo.configure(privateConfiguration())
        let runs = Counter()
        let slow = Memo.memoized(name: "slow") { (x: Int) -> Int in
            runs.increment()
            usleep(300_000)
            return x * x
        }
        let results = Mutex<[Int]>([])
        onThreads(8) { _ in
            let value = slow(7)
            results.withTrackedLock { $0.append(value) }
        }
        #expect(runs.value == 1)
        #expect(results.withTrackedLock { $0 } == Array(repeating: 49, count: 8))
        #expect(Memo.stats.hits == 7)
        #expect(Memo.stats.misses == 1)
        #expect(Memo.report().contains("slow"))
    }

    @Test("a bad configuration throws and leaves the current cache in place")
    func badConfiguration() throws {
        try Memo.configure(privateConfiguration())
        let current = Memo.cache
        var bad = CacheConfiguration()
        bad.directory = "/dev/null"
        #expect(throws: SpillDirectoryError(path: "/dev/null", reason: .notADirectory)) {
            try Memo.configure(bad)
        }
        #expect(Memo.cache === current)
    }

    @Test("configure and calls from many threads at once stay consistent")
    func concurrentConfigure() throws {
        try Memo.configure(privateConfiguration())
        let f = Memo.memoized(name: "concurrent") { (x: Int) -> Int in x + 1 }
        let configuration = privateConfiguration()
        let wrong = Counter()
        onThreads(4) { thread in
            for i in 0..<300 {
                if thread == 0, i % 50 == 0 { try? Memo.configure(configuration) }
                if f(i % 17) != i % 17 + 1 { wrong.increment() }
                if thread == 1, i % 70 == 0 { Memo.clear() }
            }
        }
        #expect(wrong.value == 0)
    }
}
