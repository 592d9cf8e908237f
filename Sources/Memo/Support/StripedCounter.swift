import Synchronization

/// A count that threads add to without writing a shared cache line: one cell per
/// stripe (each thread's, as the entry table gives them), read by summing the cells.
///
/// A single atomic counter that every hit increments is one line moved between cores on
/// every hit once two threads hit: it made two threads of memoized hits no faster than
/// one. Cells are 128 bytes apart, so no two share a line (nor an adjacent-line prefetch).
final class StripedCounter: Sendable {
    struct Cell: ~Copyable {
        let count = Atomic<Int>(0)
        private let padding:
            (Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    }

    private let cell0 = Cell()
    private let cell1 = Cell()
    private let cell2 = Cell()
    private let cell3 = Cell()
    private let cell4 = Cell()
    private let cell5 = Cell()
    private let cell6 = Cell()
    private let cell7 = Cell()

    /// Adds one in the calling thread's cell.
    @inline(__always)
    func increment() {
        increment(stripe: ThreadStripe.index)
    }

    /// Adds one in the cell of stripe number `stripe` (the calling thread's, already
    /// looked up by the caller).
    @inline(__always)
    func increment(stripe: Int) {
        switch stripe & 7 {
        case 0: cell0.count.wrappingAdd(1, ordering: .relaxed)
        case 1: cell1.count.wrappingAdd(1, ordering: .relaxed)
        case 2: cell2.count.wrappingAdd(1, ordering: .relaxed)
        case 3: cell3.count.wrappingAdd(1, ordering: .relaxed)
        case 4: cell4.count.wrappingAdd(1, ordering: .relaxed)
        case 5: cell5.count.wrappingAdd(1, ordering: .relaxed)
        case 6: cell6.count.wrappingAdd(1, ordering: .relaxed)
        default: cell7.count.wrappingAdd(1, ordering: .relaxed)
        }
    }

    /// The sum of the cells.
    var value: Int {
        cell0.count.load(ordering: .relaxed) &+ cell1.count.load(ordering: .relaxed)
            &+ cell2.count.load(ordering: .relaxed) &+ cell3.count.load(ordering: .relaxed)
            &+ cell4.count.load(ordering: .relaxed) &+ cell5.count.load(ordering: .relaxed)
            &+ cell6.count.load(ordering: .relaxed) &+ cell7.count.load(ordering: .relaxed)
    }
}
