extension Bool: StableHashable, StableHashableNumber {
    @inlinable static var stableTag: StableTypeTag { .bool }
    @inlinable @inline(__always) func writeUntagged(into hasher: inout StableHasher) {
        hasher.write(UInt8(self ? 1 : 0))
    }
}

extension Int8: StableHashable, StableHashableNumber {
    @inlinable static var stableTag: StableTypeTag { .int8 }
    @inlinable @inline(__always) func writeUntagged(into hasher: inout StableHasher) {
        hasher.write(self)
    }
}

extension Int16: StableHashable, StableHashableNumber {
    @inlinable static var stableTag: StableTypeTag { .int16 }
    @inlinable @inline(__always) func writeUntagged(into hasher: inout StableHasher) {
        hasher.write(self)
    }
}

extension Int32: StableHashable, StableHashableNumber {
    @inlinable static var stableTag: StableTypeTag { .int32 }
    @inlinable @inline(__always) func writeUntagged(into hasher: inout StableHasher) {
        hasher.write(self)
    }
}

extension Int64: StableHashable, StableHashableNumber {
    @inlinable static var stableTag: StableTypeTag { .int64 }
    @inlinable @inline(__always) func writeUntagged(into hasher: inout StableHasher) {
        hasher.write(self)
    }
}

/// `Int` is always encoded as 8 bytes, so a key computed on a 32-bit platform equals the
/// 64-bit one for the same value.
extension Int: StableHashable, StableHashableNumber {
    @inlinable static var stableTag: StableTypeTag { .int }
    @inlinable @inline(__always) func writeUntagged(into hasher: inout StableHasher) {
        hasher.write(Int64(self))
    }
}

extension UInt8: StableHashable, StableHashableNumber {
    @inlinable static var stableTag: StableTypeTag { .uint8 }
    @inlinable @inline(__always) func writeUntagged(into hasher: inout StableHasher) {
        hasher.write(self)
    }
}

extension UInt16: StableHashable, StableHashableNumber {
    @inlinable static var stableTag: StableTypeTag { .uint16 }
    @inlinable @inline(__always) func writeUntagged(into hasher: inout StableHasher) {
        hasher.write(self)
    }
}

extension UInt32: StableHashable, StableHashableNumber {
    @inlinable static var stableTag: StableTypeTag { .uint32 }
    @inlinable @inline(__always) func writeUntagged(into hasher: inout StableHasher) {
        hasher.write(self)
    }
}

extension UInt64: StableHashable, StableHashableNumber {
    @inlinable static var stableTag: StableTypeTag { .uint64 }
    @inlinable @inline(__always) func writeUntagged(into hasher: inout StableHasher) {
        hasher.write(self)
    }
}

extension UInt: StableHashable, StableHashableNumber {
    @inlinable static var stableTag: StableTypeTag { .uint }
    @inlinable @inline(__always) func writeUntagged(into hasher: inout StableHasher) {
        hasher.write(UInt64(self))
    }
}

@available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)
extension Int128: StableHashable, StableHashableNumber {
    @inlinable static var stableTag: StableTypeTag { .int128 }
    @inlinable @inline(__always) func writeUntagged(into hasher: inout StableHasher) {
        hasher.write(self)
    }
}

@available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)
extension UInt128: StableHashable, StableHashableNumber {
    @inlinable static var stableTag: StableTypeTag { .uint128 }
    @inlinable @inline(__always) func writeUntagged(into hasher: inout StableHasher) {
        hasher.write(self)
    }
}

/// Floating-point values are encoded by their bit pattern: `0.0` and `-0.0` are different
/// keys (a function may tell them apart, as `1 / x` does), and a NaN matches only the
/// same NaN payload.
extension Float: StableHashable, StableHashableNumber {
    @inlinable static var stableTag: StableTypeTag { .float }
    @inlinable @inline(__always) func writeUntagged(into hasher: inout StableHasher) {
        hasher.write(bitPattern)
    }
}

extension Double: StableHashable, StableHashableNumber {
    @inlinable static var stableTag: StableTypeTag { .double }
    @inlinable @inline(__always) func writeUntagged(into hasher: inout StableHasher) {
        hasher.write(bitPattern)
    }
}
