import Synchronization

/// A shared cache and the figures of the functions memoized into it.
///
/// `Memo` has one current context for the process; `MemoTesting` can give a task its own
/// (see `withIsolatedMemo`), so test suites run in parallel without sharing results.
package final class MemoContext: Sendable {
    package let cache: SpillingCache
    private let functions = Mutex<[String: FunctionRecord]>([:])

    package init(cache: SpillingCache) {
        self.cache = cache
    }

    /// The record of `function`, created on its first call.
    func record(for function: MemoizedFunction) -> FunctionRecord {
        functions.withTrackedLock { functions in
            if let record = functions[function.reportName] { return record }
            let record = FunctionRecord(
                name: function.reportName, function: function.stored,
                metrics: cache.metrics?.function(function.identity))
            functions[function.reportName] = record
            return record
        }
    }

    /// Every function's record, sorted by name.
    var records: [FunctionRecord] {
        functions.withTrackedLock { Array($0.values) }.sorted { $0.name < $1.name }
    }
}
