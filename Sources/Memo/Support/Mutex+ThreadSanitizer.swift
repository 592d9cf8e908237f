import CPlatform
package import Synchronization

extension Mutex where Value: ~Copyable {
    /// `withLock`, made visible to ThreadSanitizer.
    ///
    /// On Linux, `Mutex` locks with raw futex calls, which ThreadSanitizer does not see:
    /// under `make tsan` every access inside `withLock` is reported as a race (a plain
    /// `Mutex<[Int]>` appended to from two threads is enough). This marks the critical
    /// section with ThreadSanitizer's own happens-before annotations, keyed by the
    /// mutex's address (taken by a borrow, so it is not an access to the protected value).
    /// Without ThreadSanitizer the annotations are absent and each costs one test.
    @inline(__always)
    package borrowing func withTrackedLock<Result, Failure: Error>(
        _ body: (inout sending Value) throws(Failure) -> sending Result
    ) throws(Failure) -> sending Result {
        let token = withUnsafePointer(to: self) { UnsafeRawPointer($0) }
        return try withLock { (value: inout sending Value) throws(Failure) -> sending Result in
            memo_tsan_acquire(token)
            defer { memo_tsan_release(token) }
            return try body(&value)
        }
    }
}
