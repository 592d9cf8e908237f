#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
import Synchronization

/// Cleanups that run at normal process exit: non-persistent caches register the removal
/// of their spill files here, and unregister when they are deinitialized.
enum ExitCleanup {
    private static let actions = Mutex<[ObjectIdentifier: @Sendable () -> Void]>([:])
    private static let installed = Mutex(false)

    static func register(_ owner: ObjectIdentifier, _ action: @escaping @Sendable () -> Void) {
        let install = installed.withTrackedLock { installed in
            defer { installed = true }
            return !installed
        }
        if install { atexit { ExitCleanup.runAll() } }
        actions.withTrackedLock { $0[owner] = action }
    }

    static func unregister(_ owner: ObjectIdentifier) {
        _ = actions.withTrackedLock { $0.removeValue(forKey: owner) }
    }

    private static func runAll() {
        let pending = actions.withTrackedLock { actions in
            defer { actions = [:] }
            return Array(actions.values)
        }
        for action in pending { action() }
    }
}
