import Dispatch

/// Runs the shared tier's tasks on one thread of its own (a serial dispatch queue, which
/// gets its own thread), whatever Swift's cooperative pool is busy with. Tier calls spend
/// their time waiting on the network, so one thread interleaves them all.
package final class SharedTierExecutor: TaskExecutor {
    private let queue: DispatchQueue

    /// An executor on a serial queue of its own, named `label`.
    package init(label: String = "memo.shared-tier") {
        queue = DispatchQueue(label: label)
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
