/// The function a stored value belongs to: its identity (a `Memo.memoized` name or call
/// site) and version. Recorded in spill files of format version 2 and in the index of a
/// persistent directory, so the index can be rebuilt from the files and a value is never
/// read back for another function version.
struct StoredFunction: Hashable, Sendable {
    var name: String
    var version: Int

    /// Values stored through ``SpillingCache``'s own API, outside any memoized function.
    static let none = StoredFunction(name: "", version: 0)
}
