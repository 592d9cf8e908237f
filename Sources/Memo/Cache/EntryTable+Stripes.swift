import CPlatform
import Synchronization

/// The stripes of the table's big-reader lock, each with the touches of the hits made
/// under it.
///
/// A thread always uses the same stripe, so its touches stay in its order without a
/// shared sequence counter (which would itself be a line every hit writes). Threads get
/// stripes round-robin on their first hit, so the first `stripeCount` threads of a
/// process never share one; later threads share, and keep their order all the same.
/// Touches of different threads are applied stripe by stripe: calls that overlap in time
/// may be ordered either way.
extension EntryTable {
    /// One stripe: a lock, the touches recorded under it, and its hit count. Stripes
    /// live in memory the table allocates (``StripeStorage``), where they never move, as a
    /// lock must not: a class for each cost every hit a retain and a release.
    struct Stripe: ~Copyable {
        /// Slots of nodes hit, oldest first.
        let touches: Mutex<[Int32]>
        /// Hits counted here since the cache was made. Written only under the stripe's
        /// lock; read by `stats` without it.
        let hits = Atomic<Int>(0)

        init() {
            var touches: [Int32] = []
            touches.reserveCapacity(EntryTable.capacity)
            self.touches = Mutex(touches)
        }
    }

    /// The stripes, each on cache lines of its own so that two threads' hits never write
    /// the same line. Owned by its table, which frees it in `deinit`.
    struct StripeStorage {
        /// Bytes from one stripe to the next: two lines, since the processor fetches lines
        /// in adjacent pairs.
        private static var spacing: Int { 128 }
        private let base: UnsafeMutableRawPointer

        init() {
            precondition(MemoryLayout<Stripe>.size <= Self.spacing)
            base = UnsafeMutableRawPointer.allocate(
                byteCount: EntryTable.stripeCount * Self.spacing, alignment: 64)
            for index in 0..<EntryTable.stripeCount {
                (base + index * Self.spacing).initializeMemory(as: Stripe.self, to: Stripe())
            }
        }

        /// Stripe `index` (below `stripeCount`).
        @inline(__always)
        subscript(index: Int) -> UnsafeMutablePointer<Stripe> {
            (base + index * Self.spacing).assumingMemoryBound(to: Stripe.self)
        }

        /// Deinitializes the stripes and frees their memory.
        func free() {
            for index in 0..<EntryTable.stripeCount { _ = self[index].deinitialize(count: 1) }
            base.deallocate()
        }
    }

    /// How many stripes: each state operation takes all of their locks, each hit one.
    static let stripeCount = 8
    /// Touches a stripe holds before the hit that fills it has the state drain them.
    static let capacity = 256

    /// The calling thread's stripe.
    @inline(__always)
    var currentStripe: UnsafeMutablePointer<Stripe> {
        stripes[ThreadStripe.index & (Self.stripeCount - 1)]
    }
}

/// Each thread's stripe number, given on its first use and kept in a C thread-local
/// variable (stored plus one, so that 0 means "not given yet"): reading it is one load,
/// where `pthread_getspecific` was a call of twenty instructions on every hit.
enum ThreadStripe {
    private static let next = Atomic<Int>(0)

    @inline(__always)
    static var index: Int {
        let stored = memo_thread_stripe()
        if stored != 0 { return stored - 1 }
        return assign()
    }

    private static func assign() -> Int {
        let given = next.add(1, ordering: .relaxed).oldValue
        memo_set_thread_stripe(given + 1)
        return given
    }
}
