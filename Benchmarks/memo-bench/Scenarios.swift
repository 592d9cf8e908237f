#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Cxxhash
import Dispatch
import Memo
import Synchronization

enum Scenarios {
    /// A cache that never spills in these scenarios (no disk writes), in its own directory.
    static func memoryCache(_ bytes: ByteCount = .gigabytes(8)) throws -> SpillingCache {
        var configuration = CacheConfiguration()
        configuration.maxMemory = bytes
        return try SpillingCache(configuration)
    }

    // 1. A memoized (Int) -> Int hit against a Mutex<[Int: Int]> lookup.
    static func memoizedHit() throws -> BenchmarkResult {
        var configuration = CacheConfiguration()
        configuration.maxMemory = .megabytes(64)
        try Memo.configure(configuration)
        let double = Memo.memoized(name: "bench.double") { (x: Int) -> Int in x &* 2 }
        let table = Mutex<[Int: Int]>([:])
        for x in 0..<1024 {
            _ = double(x)
            table.withLock { $0[x] = x &* 2 }
        }
        let n = 1_000_000
        let (ours, baseline) = Measure.pair(
            iterations: n,
            ours: {
                var sum = 0
                for i in 0..<n { sum &+= double(i & 1023) }
                blackHole(sum)
            },
            baseline: {
                var sum = 0
                for i in 0..<n { sum &+= table.withLock { $0[i & 1023]! } }
                blackHole(sum)
            })
        return BenchmarkResult(
            name: "1 memoized hit", ours: ours * 1e9, baseline: baseline * 1e9, unit: "ns/call",
            ratio: ours / baseline, target: 5, direction: .atMost,
            note: "Memo.memoized (Int)->Int hit, 1024 hot keys, vs Mutex<[Int: Int]> lookup")
    }

    // 2. Keying an 8 MiB [Double] against raw XXH3-128 over the same bytes.
    static func keyThroughput() throws -> BenchmarkResult {
        let values = (0..<(1 << 20)).map { Double($0) * 0.5 }
        let bytes = Double(values.count * 8)
        let n = 20
        let (ours, baseline) = Measure.pair(
            iterations: n,
            ours: {
                for _ in 0..<n { blackHole(CacheKey(hashing: values)) }
            },
            baseline: {
                for _ in 0..<n {
                    blackHole(values.withUnsafeBytes { XXH3_128bits($0.baseAddress, $0.count) })
                }
            })
        let oursThroughput = bytes / ours / 1e9
        let baselineThroughput = bytes / baseline / 1e9
        return BenchmarkResult(
            name: "2 key of 8 MiB", ours: oursThroughput, baseline: baselineThroughput,
            unit: "GB/s", ratio: oursThroughput / baselineThroughput, target: 0.9,
            direction: .atLeast, note: "CacheKey(hashing: [Double]) vs XXH3_128bits over the bytes")
    }

    // 3. Spill then reload 8 x 32 MiB [Double] through a 32 MiB budget, against raw
    //    write + read of the same bytes in the same directory.
    static func spillReload(directory: String) throws -> BenchmarkResult {
        let count = 32 << 20 / 8
        let arrays = (0..<8).map { seed in (0..<count).map { Double($0 ^ seed) } }
        let bytes = Double(arrays.count * count * 8)
        var configuration = CacheConfiguration()
        configuration.maxMemory = .mebibytes(32)
        configuration.directory = directory + "/cache"
        let cache = try SpillingCache(configuration)
        var correct = true
        let (ours, baseline) = Measure.pair(
            iterations: 1,
            ours: {
                for (i, array) in arrays.enumerated() {
                    cache.store(array, forKey: CacheKey(hashing: i))
                }
                for i in arrays.indices {
                    let back = cache.value(forKey: CacheKey(hashing: i), as: [Double].self)
                    correct = correct && back?.count == count
                }
                cache.removeAll()
            },
            baseline: {
                for (i, array) in arrays.enumerated() {
                    let fd = open("\(directory)/raw-\(i)", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
                    array.withUnsafeBytes { raw in
                        var offset = 0
                        while offset < raw.count {
                            offset += write(fd, raw.baseAddress! + offset, raw.count - offset)
                        }
                    }
                    close(fd)
                }
                for i in arrays.indices {
                    let fd = open("\(directory)/raw-\(i)", O_RDONLY)
                    let back = [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
                        let raw = UnsafeMutableRawBufferPointer(buffer)
                        var offset = 0
                        while offset < raw.count {
                            let n = read(fd, raw.baseAddress! + offset, raw.count - offset)
                            if n <= 0 { break }
                            offset += n
                        }
                        initialized = count
                    }
                    close(fd)
                    blackHole(back)
                    unlink("\(directory)/raw-\(i)")
                }
            })
        precondition(correct, "reload returned the wrong values")
        let oursThroughput = bytes / ours / 1e9
        let baselineThroughput = bytes / baseline / 1e9
        return BenchmarkResult(
            name: "3 spill+reload", ours: oursThroughput, baseline: baselineThroughput,
            unit: "GB/s", ratio: oursThroughput / baselineThroughput, target: 0.6,
            direction: .atLeast,
            note: "8 x 32 MiB [Double] stored through a 32 MiB budget and reloaded, vs write+read")
    }

    /// `count` keys drawn at random (a fixed sequence) from the first `entries` of `keys`:
    /// the probes of scenario 4 and of its dictionary baseline.
    static func randomProbes(_ count: Int, among entries: Int, of keys: [CacheKey]) -> [CacheKey] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return (0..<count).map { _ -> CacheKey in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return keys[Int(state >> 33) % entries]
        }
    }

    /// The keys of scenarios 4 and 4b: `count` digests of `0..<count`.
    static func lookupKeys(_ count: Int = 1_000_000) -> [CacheKey] {
        (0..<count).map { CacheKey(hashing: $0) }
    }

    /// A memory cache holding `i` under `keys[i]`.
    static func filledCache(holding keys: [CacheKey]) throws -> SpillingCache {
        let cache = try memoryCache()
        for (i, key) in keys.enumerated() { cache.store(i, forKey: key) }
        return cache
    }

    /// Scenario 4b's baseline: `i` under `keys[i]` in a dictionary behind a `Mutex`.
    static func filledDictionary(holding keys: [CacheKey]) -> Mutex<[CacheKey: Int]> {
        var dictionary: [CacheKey: Int] = [:]
        for (i, key) in keys.enumerated() { dictionary[key] = i }
        return Mutex(dictionary)
    }

    /// The sum of the values of `probes` in `cache`, each a hit.
    @inline(__always)
    static func hitEach(_ probes: ArraySlice<CacheKey>, in cache: SpillingCache) -> Int {
        var sum = 0
        for key in probes { sum &+= cache.value(forKey: key, as: Int.self)! }
        return sum
    }

    /// The sum of the values of `probes` in `table`.
    @inline(__always)
    static func lookUpEach(
        _ probes: ArraySlice<CacheKey>, in table: borrowing Mutex<[CacheKey: Int]>
    ) -> Int {
        var sum = 0
        for key in probes { sum &+= table.withLock { $0[key]! } }
        return sum
    }

    /// `memo-bench profile-lookup`: `hits` (at most 300,000) random hits among 1,000,000
    /// entries of a cache (`inCache`) or of scenario 4b's dictionary; the sum of their
    /// values. The 300,000 probes are made whatever `hits` is, so that two runs differ only
    /// in their lookups: making a probe reads a random key, a miss of its own.
    static func profileLookup(_ hits: Int, inCache: Bool) throws -> Int {
        let keys = lookupKeys()
        let probes = randomProbes(300_000, among: keys.count, of: keys)[..<min(hits, 300_000)]
        if inCache {
            let cache = try filledCache(holding: keys)
            return hitEach(probes, in: cache)
        }
        let table = filledDictionary(holding: keys)
        return lookUpEach(probes, in: table)
    }

    /// Median seconds per lookup of random present keys in a cache of `entries` Ints.
    static func hitLatency(entries: Int, cache: SpillingCache, keys: [CacheKey]) -> Double {
        let probes = randomProbes(200_000, among: entries, of: keys)
        return Measure.pair(
            iterations: probes.count,
            ours: { blackHole(hitEach(probes[...], in: cache)) },
            baseline: {}
        ).ours
    }

    // 4b. Hit latency with 1,000,000 entries against a `Mutex<[CacheKey: Int]>` of the same
    // keys, probed in the same random order: what the machine's memory costs a lookup.
    static func hitLatencyAgainstDictionary() throws -> BenchmarkResult {
        let keys = lookupKeys()
        let cache = try filledCache(holding: keys)
        let table = filledDictionary(holding: keys)
        let probes = randomProbes(200_000, among: keys.count, of: keys)
        let (ours, baseline) = Measure.pair(
            iterations: probes.count,
            ours: { blackHole(hitEach(probes[...], in: cache)) },
            baseline: { blackHole(lookUpEach(probes[...], in: table)) })
        return BenchmarkResult(
            name: "4b hit latency 1M/dict", ours: ours * 1e9, baseline: baseline * 1e9,
            unit: "ns/hit", ratio: ours / baseline, target: 5, direction: .atMost,
            note: "random hits among 1,000,000 entries vs a Mutex<[CacheKey: Int]> of them")
    }

    // 4. Hit latency with 1,000,000 entries against 1,000.
    static func hitLatencyScaling() throws -> BenchmarkResult {
        let largeKeys = lookupKeys()
        let large = try filledCache(holding: largeKeys)
        let smallKeys = Array(largeKeys.prefix(1_000))
        let small = try filledCache(holding: smallKeys)
        var largeSamples: [Double] = []
        var smallSamples: [Double] = []
        for _ in 0..<3 {
            largeSamples.append(hitLatency(entries: largeKeys.count, cache: large, keys: largeKeys))
            smallSamples.append(hitLatency(entries: smallKeys.count, cache: small, keys: smallKeys))
        }
        let ours = Measure.median(largeSamples)
        let baseline = Measure.median(smallSamples)
        return BenchmarkResult(
            name: "4 hit latency 1M/1k", ours: ours * 1e9, baseline: baseline * 1e9, unit: "ns/hit",
            ratio: ours / baseline, target: 2.5, direction: .atMost,
            note: "random hits among 1,000,000 entries vs among 1,000")
    }

    // 5. stats with 1,000,000 entries.
    static func statsCost() throws -> BenchmarkResult {
        let cache = try memoryCache()
        for i in 0..<1_000_000 { cache.store(i, forKey: CacheKey(hashing: i)) }
        let n = 1_000_000
        let (ours, _) = Measure.pair(
            iterations: n,
            ours: {
                var sum = 0
                for _ in 0..<n { sum &+= cache.stats.memoryEntries }
                blackHole(sum)
            },
            baseline: {})
        return BenchmarkResult(
            name: "5 stats, 1M entries", ours: ours * 1e9, baseline: .nan, unit: "ns/call",
            ratio: ours * 1e9, target: 100, direction: .atMost,
            note: "cache.stats with 1,000,000 entries")
    }

    // 6. Resident memory per small entry, bookkeeping included; and how far
    //    entryOverhead is from the bookkeeping measured.
    static func bytesPerEntry() throws -> [BenchmarkResult] {
        let n = 1_000_000
        let keys = (0..<n).map { CacheKey(hashing: $0) }
        let before = residentBytes()
        let cache = try memoryCache()
        for (i, key) in keys.enumerated() { cache.store(i, forKey: key) }
        let after = residentBytes()
        let perEntry = Double(after - before) / Double(n)
        let charged = Double(cache.stats.memoryBytes) / Double(n)
        blackHole(cache)
        let measuredOverhead = perEntry - Double(MemoryLayout<Int>.size)
        let error = abs(Double(SpillingCache.entryOverhead) - measuredOverhead) / measuredOverhead
        return [
            BenchmarkResult(
                name: "6 bytes per entry", ours: perEntry, baseline: charged, unit: "B/entry",
                ratio: perEntry, target: 200, direction: .atMost,
                note: "RSS growth per Int entry; baseline column: bytes charged per entry"),
            BenchmarkResult(
                name: "6b entryOverhead error", ours: Double(SpillingCache.entryOverhead),
                baseline: measuredOverhead, unit: "B", ratio: error * 100, target: 25,
                direction: .atMost,
                note: "entryOverhead vs measured bookkeeping per entry; ratio column in %"),
        ]
    }

    // 7. Two threads of hits against one; 7b. four threads (on this 2-core machine).
    static func twoThreadHits() throws -> BenchmarkResult {
        try threadedHits(threads: 2, target: 1.6, name: "7 two-thread hits", hit: cacheHit())
    }

    static func fourThreadHits() throws -> BenchmarkResult {
        try threadedHits(threads: 4, target: 1.0, name: "7b four-thread hits", hit: cacheHit())
    }

    // 7c. Two threads of memoized hits (one function) against one.
    static func twoThreadMemoizedHits() throws -> BenchmarkResult {
        var configuration = CacheConfiguration()
        configuration.maxMemory = .megabytes(64)
        try Memo.configure(configuration)
        let double = Memo.memoized(name: "bench.double.threads") { (x: Int) -> Int in x &* 2 }
        for x in 0..<1024 { _ = double(x) }
        return try threadedHits(
            threads: 2, target: 1.6, name: "7c two-thread memoized hits",
            hit: { double($0 & 1023) })
    }

    /// Hits on a cache of 1024 `Int`s, by index.
    static func cacheHit() throws -> @Sendable (Int) -> Int {
        let cache = try memoryCache()
        let keys = (0..<1024).map { CacheKey(hashing: $0) }
        for (i, key) in keys.enumerated() { cache.store(i, forKey: key) }
        return { cache.value(forKey: keys[$0 & 1023], as: Int.self)! }
    }

    static func threadedHits(
        threads many: Int, target: Double, name: String, hit: @escaping @Sendable (Int) -> Int
    ) throws -> BenchmarkResult {
        let perThread = 500_000
        func run(threads: Int) -> Double {
            let start = DispatchSemaphore(value: 0)
            let done = DispatchSemaphore(value: 0)
            for t in 0..<threads {
                Thread.detach {
                    start.wait()
                    var sum = 0
                    for i in 0..<perThread {
                        sum &+= hit(i &+ t &* 517)
                    }
                    blackHole(sum)
                    done.signal()
                }
            }
            let seconds = Measure.seconds {
                for _ in 0..<threads { start.signal() }
                for _ in 0..<threads { done.wait() }
            }
            return Double(threads * perThread) / seconds
        }
        var one: [Double] = []
        var several: [Double] = []
        _ = run(threads: 1)
        for _ in 0..<Measure.repetitions {
            one.append(run(threads: 1))
            several.append(run(threads: many))
        }
        let oursThroughput = Measure.median(several)
        let baselineThroughput = Measure.median(one)
        return BenchmarkResult(
            name: name, ours: oursThroughput / 1e6, baseline: baselineThroughput / 1e6,
            unit: "M hits/s", ratio: oursThroughput / baselineThroughput, target: target,
            direction: .atLeast, note: "aggregate hit throughput, \(many) threads vs 1")
    }

    // 8. Eight threads asking for one slow key: the body runs once.
    static func singleFlight() throws -> BenchmarkResult {
        let cache = try memoryCache()
        let runs = Atomic(0)
        let key = CacheKey(hashing: "slow")
        let start = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        for _ in 0..<8 {
            Thread.detach {
                start.wait()
                let value = cache.value(forKey: key) { () -> Int in
                    runs.add(1, ordering: .relaxed)
                    usleep(200_000)
                    return 42
                }
                precondition(value == 42)
                done.signal()
            }
        }
        for _ in 0..<8 { start.signal() }
        for _ in 0..<8 { done.wait() }
        let bodyRuns = Double(runs.load(ordering: .relaxed))
        return BenchmarkResult(
            name: "8 single flight", ours: bodyRuns, baseline: 8, unit: "body runs",
            ratio: bodyRuns, target: 1, direction: .atMost,
            note: "8 threads get-or-compute one slow key; baseline column: callers")
    }

    static func removeTree(_ path: String) {
        guard let directory = opendir(path) else { return }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let child = "\(path)/\(name)"
            if unlink(child) != 0 { removeTree(child) }
        }
        closedir(directory)
        rmdir(path)
    }
}

/// A detached POSIX thread, without Foundation.
enum Thread {
    static func detach(_ body: @escaping @Sendable () -> Void) {
        final class Box: Sendable {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        pthread_create(
            &thread, nil,
            { raw in
                let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
                box.body()
                return nil
            }, box)
        pthread_detach(thread)
    }
}
