/// Rows printed as aligned columns: text left-aligned, numbers right-aligned.
struct TextTable {
    /// A column's heading and alignment.
    struct Column {
        var heading: String
        var alignRight = false
    }

    var columns: [Column]
    var rows: [[String]] = []
    /// Whether the first line is the headings (a two-column list of labels has none).
    var showsHeadings = true

    init(_ columns: [Column]) {
        self.columns = columns
    }

    mutating func append(_ row: [String]) {
        precondition(row.count == columns.count, "a row has one cell per column")
        rows.append(row)
    }

    /// The table, headings first, columns two spaces apart, no trailing spaces.
    func render() -> String {
        var widths = columns.map { showsHeadings ? $0.heading.count : 0 }
        for row in rows {
            for (column, cell) in row.enumerated() {
                widths[column] = max(widths[column], cell.count)
            }
        }
        func line(_ cells: [String]) -> String {
            var text = ""
            for (column, cell) in cells.enumerated() {
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                if column > 0 { text += "  " }
                text += columns[column].alignRight ? padding + cell : cell + padding
            }
            while text.hasSuffix(" ") { text.removeLast() }
            return text
        }
        let headings = showsHeadings ? [line(columns.map(\.heading))] : []
        return (headings + rows.map(line)).joined(separator: "\n")
    }
}
