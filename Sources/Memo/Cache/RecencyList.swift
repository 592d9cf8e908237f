/// An intrusive doubly linked list over the cache's node array: O(1) append, remove and
/// access to the least recently used end. Links are 32-bit (a cache holds fewer than
/// 2^31 entries), to keep nodes small.
struct RecencyList {
    /// The least recently used node, or -1.
    private(set) var head = -1
    /// The most recently used node, or -1.
    private(set) var tail = -1

    mutating func append(_ slot: Int, in nodes: inout [CacheState.Node]) {
        nodes[slot].previous = Int32(truncatingIfNeeded: tail)
        nodes[slot].next = -1
        if tail >= 0 { nodes[tail].next = Int32(truncatingIfNeeded: slot) } else { head = slot }
        tail = slot
    }

    /// Links `slot` right after `anchor` (-1: at the head).
    mutating func insert(_ slot: Int, after anchor: Int, in nodes: inout [CacheState.Node]) {
        guard anchor != tail else { return append(slot, in: &nodes) }
        let successor = anchor >= 0 ? Int(nodes[anchor].next) : head
        nodes[slot].previous = Int32(truncatingIfNeeded: anchor)
        nodes[slot].next = Int32(truncatingIfNeeded: successor)
        nodes[successor].previous = Int32(truncatingIfNeeded: slot)
        if anchor >= 0 {
            nodes[anchor].next = Int32(truncatingIfNeeded: slot)
        } else {
            head = slot
        }
    }

    /// Moves `slot`, which is in this list, to its most recent end: ``remove(_:in:)`` then
    /// ``append(_:in:)``, on the node storage itself.
    @inline(__always)
    mutating func moveToTail(_ slot: Int, in nodes: UnsafeMutablePointer<CacheState.Node>) {
        guard slot != tail else { return }
        // Not the tail, so it has a successor, and the list a tail to follow.
        let previous = Int(nodes[slot].previous)
        let next = Int(nodes[slot].next)
        if previous >= 0 {
            nodes[previous].next = Int32(truncatingIfNeeded: next)
        } else {
            head = next
        }
        nodes[next].previous = Int32(truncatingIfNeeded: previous)
        nodes[slot].previous = Int32(truncatingIfNeeded: tail)
        nodes[slot].next = -1
        nodes[tail].next = Int32(truncatingIfNeeded: slot)
        tail = slot
    }

    mutating func remove(_ slot: Int, in nodes: inout [CacheState.Node]) {
        let previous = Int(nodes[slot].previous)
        let next = Int(nodes[slot].next)
        if previous >= 0 {
            nodes[previous].next = Int32(truncatingIfNeeded: next)
        } else {
            head = next
        }
        if next >= 0 {
            nodes[next].previous = Int32(truncatingIfNeeded: previous)
        } else {
            tail = previous
        }
        nodes[slot].previous = -1
        nodes[slot].next = -1
    }
}
