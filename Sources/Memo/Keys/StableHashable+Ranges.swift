extension Range: StableHashable where Bound: StableHashable {
    public func stableHash(into hasher: inout StableHasher) {
        hasher.write(tag: .range)
        lowerBound.stableHash(into: &hasher)
        upperBound.stableHash(into: &hasher)
    }
}

extension ClosedRange: StableHashable where Bound: StableHashable {
    public func stableHash(into hasher: inout StableHasher) {
        hasher.write(tag: .closedRange)
        lowerBound.stableHash(into: &hasher)
        upperBound.stableHash(into: &hasher)
    }
}

extension Duration: StableHashable {
    public func stableHash(into hasher: inout StableHasher) {
        hasher.write(tag: .duration)
        hasher.write(components.seconds)
        hasher.write(components.attoseconds)
    }
}
