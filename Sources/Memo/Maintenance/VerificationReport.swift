/// What `memo verify` found in a directory, and what `--repair` did about it.
package struct VerificationReport: Sendable, Equatable {
    /// One problem: a file or an index row that is not as it should be.
    package struct Finding: Sendable, Equatable {
        /// The kind of problem, a stable name (part of `memo verify --json`).
        package enum Kind: String, Sendable, Equatable {
            /// The index has a row whose file does not exist.
            case missingFile = "missing-file"
            /// A file whose header, checksum or length is wrong, or that does not match
            /// its index row.
            case corruptFile = "corrupt-file"
            /// A spill file no index row refers to and no live process is writing.
            case unreferencedFile = "unreferenced-file"
            /// A temporary file (`.spill.tmp`) no live process is writing.
            case leftoverTemporaryFile = "leftover-temporary-file"
            /// The index itself cannot be read or fails its integrity check.
            case damagedIndex = "damaged-index"
        }

        package var kind: Kind
        /// The file's name in the directory (the index's for ``Kind/damagedIndex``).
        package var file: String
        /// The key of the entry, when known.
        package var key: CacheKey?
        /// What exactly is wrong.
        package var detail: String
    }

    /// How many spill files were read and checked.
    package var checkedFiles = 0
    /// Every problem found, in the order found.
    package var findings: [Finding] = []
    /// Whether the problems were repaired (`--repair`).
    package var repaired = false
    /// Whether the index was rebuilt from the files.
    package var rebuiltIndex = false
    /// The directory's totals after the check (and repair).
    package var totals = SpillIndexTotals(entries: 0, bytes: 0)
}
