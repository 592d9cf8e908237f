#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
package import Synchronization

extension Mutex where Value: ~Copyable {
    /// `withLock`, made visible to ThreadSanitizer.
    ///
    /// On Linux, `Mutex` locks with raw futex calls, which ThreadSanitizer does not see:
    /// under `make tsan` every access inside `withLock` is reported as a race (a plain
    /// `Mutex<[Int]>` appended to from two threads is enough). This marks the critical
    /// section with ThreadSanitizer's own happens-before annotations, keyed by the
    /// mutex's address (taken by a borrow, so it is not an access to the protected value).
    /// Without ThreadSanitizer the annotations are absent and this costs one branch.
    @inline(__always)
    package borrowing func withTrackedLock<Result, Failure: Error>(
        _ body: (inout sending Value) throws(Failure) -> sending Result
    ) throws(Failure) -> sending Result {
        let token = withUnsafePointer(to: self) { UnsafeRawPointer($0) }
        return try withLock { (value: inout sending Value) throws(Failure) -> sending Result in
            ThreadSanitizerAnnotations.acquire?(token)
            defer { ThreadSanitizerAnnotations.release?(token) }
            return try body(&value)
        }
    }
}

/// ThreadSanitizer's `__tsan_acquire` / `__tsan_release`, when the process runs under it.
enum ThreadSanitizerAnnotations {
    typealias Annotation = @convention(c) (UnsafeRawPointer?) -> Void

    static let acquire: Annotation? = lookup("__tsan_acquire")
    static let release: Annotation? = lookup("__tsan_release")

    private static func lookup(_ symbol: String) -> Annotation? {
        // RTLD_DEFAULT: the process's global symbols, where the TSan runtime lives.
        dlsym(UnsafeMutableRawPointer(bitPattern: 0), symbol).map {
            unsafeBitCast($0, to: Annotation.self)
        }
    }
}
