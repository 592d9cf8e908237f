import Memo
import PropertyBased
import Testing

/// A generated sequence of operations, faults included.
private let operations = zip(Gen.int(in: 0...99), Gen.int(in: 0...11), Gen.int(in: 0...4))
    .map { ModelOperation(kind: $0.0, key: $0.1, argument: $0.2) }
    .array(of: 1...60)

@Suite("Cache versus reference model")
struct ModelPropertyTests {
    @Test("random operations and faults, bounded disk and a time to live")
    func boundedWithExpiry() async {
        await propertyCheck(count: 250, input: operations) { operations in
            guard
                var run = try? ModelRun(
                    maxDisk: 6 * ReferenceModel.fileBytes, timeToLive: .seconds(60))
            else { return #expect(Bool(false), "could not create the cache") }
            run.run(operations)
        }
    }

    @Test("random operations and faults, unbounded disk, no expiry")
    func unbounded() async {
        await propertyCheck(count: 250, input: operations) { operations in
            guard var run = try? ModelRun(maxDisk: nil, timeToLive: nil)
            else { return #expect(Bool(false), "could not create the cache") }
            run.run(operations)
        }
    }

    @Test("a long run of thousands of steps stays equal to the model")
    func longRun() throws {
        var generator = SystemRandomNumberGenerator()
        var run = try ModelRun(maxDisk: 10 * ReferenceModel.fileBytes, timeToLive: .seconds(100))
        let steps = (0..<3_000).map { _ in
            ModelOperation(
                kind: Int.random(in: 0...99, using: &generator),
                key: Int.random(in: 0...11, using: &generator),
                argument: Int.random(in: 0...4, using: &generator))
        }
        run.run(steps)
    }
}
