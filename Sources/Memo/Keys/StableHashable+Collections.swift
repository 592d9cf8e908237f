// Array, ContiguousArray and ArraySlice share one encoding: the same elements in the same
// order are the same argument, whichever container carries them.

extension Array: StableHashable where Element: StableHashable {
    public func stableHash(into hasher: inout StableHasher) {
        hashOrderedElements(self, into: &hasher)
    }
}

extension ContiguousArray: StableHashable where Element: StableHashable {
    public func stableHash(into hasher: inout StableHasher) {
        hashOrderedElements(self, into: &hasher)
    }
}

extension ArraySlice: StableHashable where Element: StableHashable {
    public func stableHash(into hasher: inout StableHasher) {
        hashOrderedElements(self, into: &hasher)
    }
}

extension Optional: StableHashable where Wrapped: StableHashable {
    public func stableHash(into hasher: inout StableHasher) {
        switch self {
        case .none:
            hasher.write(tag: .none)
        case .some(let wrapped):
            hasher.write(tag: .some)
            wrapped.stableHash(into: &hasher)
        }
    }
}

/// Dictionaries and sets are order-independent: each entry is hashed on its own and the
/// sorted entry digests are hashed in turn, so iteration order (which varies per process)
/// never changes the key.
extension Dictionary: StableHashable where Key: StableHashable, Value: StableHashable {
    public func stableHash(into hasher: inout StableHasher) {
        var digests: [CacheKey] = []
        digests.reserveCapacity(count)
        for (key, value) in self {
            var entry = StableHasher()
            key.stableHash(into: &entry)
            value.stableHash(into: &entry)
            digests.append(entry.finalize())
        }
        hashUnordered(digests, tag: .dictionary, into: &hasher)
    }
}

extension Set: StableHashable where Element: StableHashable {
    public func stableHash(into hasher: inout StableHasher) {
        var digests: [CacheKey] = []
        digests.reserveCapacity(count)
        for element in self {
            var entry = StableHasher()
            element.stableHash(into: &entry)
            digests.append(entry.finalize())
        }
        hashUnordered(digests, tag: .set, into: &hasher)
    }
}

@usableFromInline func hashUnordered(
    _ digests: [CacheKey], tag: StableTypeTag, into hasher: inout StableHasher
) {
    hasher.write(tag: tag)
    hasher.write(length: digests.count)
    for digest in digests.sorted() {
        hasher.write(digest.high)
        hasher.write(digest.low)
    }
}

/// Hashes an ordered collection. Numbers take the block path: their memory is fed to XXH3
/// in one update, without a copy, behind a tag that names the element type.
@usableFromInline func hashOrderedElements<Elements: Collection>(
    _ elements: Elements, into hasher: inout StableHasher
) where Elements.Element: StableHashable {
    guard let number = Elements.Element.self as? any StableHashableNumber.Type else {
        hasher.write(tag: .sequence)
        hasher.write(length: elements.count)
        for element in elements { element.stableHash(into: &hasher) }
        return
    }
    hasher.write(tag: .numericSequence)
    hasher.write(tag: number.stableTag)
    hasher.write(length: elements.count)
    #if _endian(little)
        let hashedAsBlock: Void? = elements.withContiguousStorageIfAvailable { storage in
            hasher.write(bytes: UnsafeRawBufferPointer(storage))
        }
        if hashedAsBlock != nil { return }
    #endif
    // Same bytes as the block path: each element's little-endian memory, no tags.
    for element in elements {
        (element as! any StableHashableNumber).writeUntagged(into: &hasher)
    }
}
