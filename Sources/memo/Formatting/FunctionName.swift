import Memo

extension SQLiteSpillIndex.FunctionSummary {
    /// The function's name for people: values stored without a function show as "(none)".
    var displayName: String { function.isEmpty ? "(none)" : function }
}

/// A function name for people: values stored without a function show as "(none)".
func displayName(ofFunction name: String) -> String {
    name.isEmpty ? "(none)" : name
}
