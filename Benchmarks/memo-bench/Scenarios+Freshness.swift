import Dispatch
import Memo
import MemoTesting

extension Scenarios {
    // 17. A hit on a handle (Memo.function) against a hit on the closure of the same
    // function, in the same run: a handle must cost no more.
    static func handleHit() throws -> BenchmarkResult {
        var configuration = CacheConfiguration()
        configuration.maxMemory = .megabytes(64)
        try Memo.configure(configuration)
        let handle = Memo.function(name: "bench.handle") { (x: Int) -> Int in x &* 2 }
        let closure = Memo.memoized(name: "bench.handle") { (x: Int) -> Int in x &* 2 }
        for x in 0..<1024 { _ = handle(x) }
        let n = 1_000_000
        let (ours, baseline) = Measure.pair(
            iterations: n,
            ours: {
                var sum = 0
                for i in 0..<n { sum &+= handle(i & 1023) }
                blackHole(sum)
            },
            baseline: {
                var sum = 0
                for i in 0..<n { sum &+= closure(i & 1023) }
                blackHole(sum)
            })
        return BenchmarkResult(
            name: "17 handle hit", ours: ours * 1e9, baseline: baseline * 1e9, unit: "ns/call",
            ratio: ours / baseline, target: 1, direction: .atMost,
            note: "Memo.function (Int)->Int hit vs the Memo.memoized closure of the same name")
    }

    // 17b. A stale hit (its refresh held, so it runs elsewhere the whole time) against a
    // fresh hit of a function with the same freshness and clock: within 10 %.
    static func staleHit() throws -> BenchmarkResult {
        let clock = TestClock()
        var configuration = CacheConfiguration()
        configuration.maxMemory = .megabytes(64)
        configuration.clock = clock
        try Memo.configure(configuration)
        let held = DispatchSemaphore(value: 0)
        let keys = 16
        let policy = Freshness.refresh(after: .seconds(10))
        let stale = Memo.function(name: "bench.stale", freshness: policy) { (x: Int) -> Int in
            x &* 2
        }
        for x in 0..<keys { _ = stale(x) }
        clock.advance(by: .seconds(11))
        let holding = Memo.function(name: "bench.stale", freshness: policy) { (x: Int) -> Int in
            held.wait()
            return x &* 2
        }
        // One stale hit per key starts its refresh, which then waits on `held`.
        for x in 0..<keys { _ = holding(x) }
        let fresh = Memo.function(name: "bench.fresh", freshness: policy) { (x: Int) -> Int in
            x &* 2
        }
        for x in 0..<keys { _ = fresh(x) }
        let n = 1_000_000
        let (ours, baseline) = Measure.pair(
            iterations: n,
            ours: {
                var sum = 0
                for i in 0..<n { sum &+= stale(i & (keys - 1)) }
                blackHole(sum)
            },
            baseline: {
                var sum = 0
                for i in 0..<n { sum &+= fresh(i & (keys - 1)) }
                blackHole(sum)
            })
        for _ in 0..<keys { held.signal() }
        return BenchmarkResult(
            name: "17b stale hit", ours: ours * 1e9, baseline: baseline * 1e9, unit: "ns/call",
            ratio: ours / baseline, target: 1.1, direction: .atMost,
            note: "a stale hit, its refresh running elsewhere, vs a fresh hit (same policy, clock)")
    }
}
