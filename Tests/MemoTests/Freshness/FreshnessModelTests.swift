import Memo
import MemoTesting
import PropertyBased
import Synchronization
import Testing

/// One step of a freshness run: a call, a clock advance, an invalidation, or a switch of
/// whether computations fail.
private struct FreshnessStep: Sendable, CustomStringConvertible {
    var kind: Int
    var key: Int
    var seconds: Int

    var description: String {
        switch kind {
        case 0..<55: "call(\(key))"
        case 55..<80: "advance(\(seconds) s)"
        case 80..<88: "invalidate(\(key))"
        default: "failing(\(key % 2 == 0))"
        }
    }
}

private let steps = zip(Gen.int(in: 0...99), Gen.int(in: 0...3), Gen.int(in: 0...15))
    .map { FreshnessStep(kind: $0.0, key: $0.1, seconds: $0.2) }
    .array(of: 1...50)

/// The freshness table of the contract, written plainly: after 10 s, expireAfter 30 s,
/// serveStaleOnError 20 s, retry delay min(10 s, 1 s).
private struct FreshnessModel {
    struct Entry {
        var value: Int
        var storedAt: Int
        var retryAt: Int?
    }

    var entries: [Int: Entry] = [:]
    var now = 0

    /// What a call returns (`nil`: it throws), given what a computation returns now
    /// (`nil`: it throws); background refreshes finish before the next step.
    mutating func call(_ key: Int, computed: Int?) -> Int? {
        guard var entry = entries[key] else {
            if let computed { entries[key] = Entry(value: computed, storedAt: now) }
            return computed
        }
        let age = now - entry.storedAt
        if age < 10 { return entry.value }
        if age < 30 {
            let old = entry.value
            if entry.retryAt.map({ now >= $0 }) ?? true {
                if let computed {
                    entry = Entry(value: computed, storedAt: now)
                } else {
                    entry.retryAt = now + 1
                }
                entries[key] = entry
            }
            return old
        }
        if let computed {
            entries[key] = Entry(value: computed, storedAt: now)
            return computed
        }
        return age < 50 ? entry.value : nil
    }
}

@Suite("Freshness versus its reference model", .serialized)
struct FreshnessModelTests {
    @Test("random calls, clock advances, invalidations and failures return the model's value")
    func againstModel() async {
        await propertyCheck(count: 60, input: steps) { steps in
            let epoch = Mutex((value: 0, failing: false))
            do {
                try await withIsolatedMemo { clock async throws in
                    let f = Memo.function(
                        name: "model",
                        freshness: .refresh(
                            after: .seconds(10), expireAfter: .seconds(30),
                            serveStaleOnError: .seconds(20))
                    ) { (key: Int) throws(ComputationFailure) -> Int in
                        let (value, failing) = epoch.withLock { ($0.value, $0.failing) }
                        if failing { throw ComputationFailure() }
                        return key * 1_000 + value
                    }
                    var model = FreshnessModel()
                    for (index, step) in steps.enumerated() {
                        epoch.withLock { $0.value = index }
                        switch step.kind {
                        case 0..<55:
                            let failing = epoch.withLock { $0.failing }
                            let expected = model.call(
                                step.key, computed: failing ? nil : step.key * 1_000 + index)
                            let actual = try? f(step.key)
                            #expect(actual == expected, "step \(index): \(step)")
                            await Memo.waitForBackgroundWork()
                        case 55..<80:
                            clock.advance(by: .seconds(step.seconds))
                            model.now += step.seconds
                        case 80..<88:
                            f.invalidate(step.key)
                            model.entries[step.key] = nil
                        default:
                            epoch.withLock { $0.failing = step.key % 2 == 0 }
                        }
                    }
                }
            } catch {
                #expect(Bool(false), "the run failed: \(error)")
            }
        }
    }
}
