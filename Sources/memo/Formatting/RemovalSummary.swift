/// What `prune` and `clear` removed and what is left.
struct RemovalSummary: Encodable {
    var removedEntries: Int
    var removedBytes: Int
    var entries: Int
    var bytes: Int

    /// Prints the summary: one sentence, or JSON with these four fields.
    func print(json: Bool) {
        if json {
            try? JSONOutput.print(self)
            return
        }
        Swift.print(
            "removed \(HumanFormat.count(removedEntries)) "
                + "entr\(removedEntries == 1 ? "y" : "ies") (\(HumanFormat.size(removedBytes))); "
                + "the directory holds \(HumanFormat.count(entries)) "
                + "entr\(entries == 1 ? "y" : "ies") (\(HumanFormat.size(bytes)))")
    }
}
