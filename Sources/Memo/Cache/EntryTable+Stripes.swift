#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
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
    /// One stripe: a lock, the touches recorded under it, and its hit count.
    final class Stripe: Sendable {
        /// Slots of nodes hit, oldest first.
        let touches = Mutex<[Int32]>([])
        /// Hits counted here since the cache was made. Written only under the stripe's
        /// lock; read by `stats` without it.
        let hits = Atomic<Int>(0)
        /// Keeps two stripes' locks off one cache line.
        private let padding: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)

        init() {
            touches.withTrackedLock { $0.reserveCapacity(EntryTable.capacity) }
        }
    }

    /// How many stripes: each state operation takes all of their locks, each hit one.
    static let stripeCount = 8
    /// Touches a stripe holds before the hit that fills it has the state drain them.
    static let capacity = 256

    /// The calling thread's stripe.
    @inline(__always)
    var currentStripe: Stripe {
        stripes[ThreadStripe.index & (Self.stripeCount - 1)]
    }
}

/// Each thread's stripe number, given on its first use and kept in thread-specific data
/// (stored plus one, so that 0 means "not given yet").
enum ThreadStripe {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "no thread-specific key left")
        return key
    }()
    private static let next = Atomic<Int>(0)

    static var index: Int {
        let key = self.key
        let stored = Int(bitPattern: pthread_getspecific(key))
        if stored != 0 { return stored - 1 }
        let given = next.add(1, ordering: .relaxed).oldValue
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: given + 1))
        return given
    }
}
