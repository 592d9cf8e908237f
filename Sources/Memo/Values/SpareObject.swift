import Synchronization

/// One spare object of a kind, kept between uses so that a hot path allocates none: the
/// pooled encoders and decoders of keys and spill payloads.
///
/// One atomic exchange takes the spare; one compare-and-exchange returns an object, or
/// releases it when another was returned first. Holding at most one keeps the pool from
/// growing, and a thread that finds it empty just allocates.
final class SpareObject<Object: AnyObject & Sendable>: Sendable {
    /// The spare's unmanaged reference (retained once), or 0.
    private let slot = Atomic<UInt>(0)

    init() {}

    /// The spare, now the caller's, or nil.
    func take() -> Object? {
        let spare = slot.exchange(0, ordering: .acquiringAndReleasing)
        return UnsafeRawPointer(bitPattern: spare).map { Unmanaged<Object>.fromOpaque($0).takeRetainedValue() }
    }

    /// Keeps `object` as the spare, unless there is one already.
    func put(_ object: Object) {
        let spare = UInt(bitPattern: Unmanaged.passRetained(object).toOpaque())
        if !slot.compareExchange(expected: 0, desired: spare, ordering: .acquiringAndReleasing).exchanged {
            Unmanaged<Object>.fromOpaque(UnsafeRawPointer(bitPattern: spare)!).release()
        }
    }
}
