/// An intrusive doubly linked list over the cache's node array: O(1) append, remove and
/// access to the least recently used end.
struct RecencyList {
    /// The least recently used node, or -1.
    private(set) var head = -1
    /// The most recently used node, or -1.
    private(set) var tail = -1

    mutating func append(_ slot: Int, in nodes: inout [CacheState.Node]) {
        nodes[slot].previous = tail
        nodes[slot].next = -1
        if tail >= 0 { nodes[tail].next = slot } else { head = slot }
        tail = slot
    }

    /// Links `slot` right after `anchor` (-1: at the head).
    mutating func insert(_ slot: Int, after anchor: Int, in nodes: inout [CacheState.Node]) {
        guard anchor != tail else { return append(slot, in: &nodes) }
        let successor = anchor >= 0 ? nodes[anchor].next : head
        nodes[slot].previous = anchor
        nodes[slot].next = successor
        nodes[successor].previous = slot
        if anchor >= 0 { nodes[anchor].next = slot } else { head = slot }
    }

    mutating func remove(_ slot: Int, in nodes: inout [CacheState.Node]) {
        let previous = nodes[slot].previous
        let next = nodes[slot].next
        if previous >= 0 { nodes[previous].next = next } else { head = next }
        if next >= 0 { nodes[next].previous = previous } else { tail = previous }
        nodes[slot].previous = -1
        nodes[slot].next = -1
    }
}
