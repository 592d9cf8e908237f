#if canImport(FoundationEssentials)
    public import FoundationEssentials
#else
    public import Foundation
#endif

// Foundation's everyday types, keyed by canonical encodings: equal values (as `==` says)
// give equal keys, in every process. Each has a tag of its own, so a `Date` never shares a
// key with the `Double` of its time interval, nor `Data` with the `[UInt8]` of its bytes.

/// A date is its tag and its time interval since the reference date (2001-01-01 UTC), as
/// a `Double`'s bits; `-0.0` is written as `0.0`, since the two dates are equal.
extension Date: StableHashable {
    public func stableHash(into hasher: inout StableHasher) {
        let interval = timeIntervalSinceReferenceDate
        hasher.write(tag: .date)
        hasher.write(interval == 0 ? UInt64(0) : interval.bitPattern)
    }
}

/// A UUID is its tag and its 16 bytes, in their order.
extension UUID: StableHashable {
    public func stableHash(into hasher: inout StableHasher) {
        hasher.write(tag: .uuid)
        withUnsafeBytes(of: uuid) { hasher.write(bytes: $0) }
    }
}

/// A URL is its tag, its relative string and its base URL's absolute string (an optional):
/// what Foundation's `==` compares. No normalization: `http://a/b` and `http://a/./b`, or
/// hosts in other letter cases, are different URLs and different keys.
extension URL: StableHashable {
    public func stableHash(into hasher: inout StableHasher) {
        hasher.write(tag: .url)
        relativeString.stableHash(into: &hasher)
        // Optional's own encoding: a tag says whether a base follows.
        baseURL.map(\.absoluteString).stableHash(into: &hasher)
    }
}

/// Data is its tag, its length and its bytes, fed to XXH3 in one update.
extension Data: StableHashable {
    public func stableHash(into hasher: inout StableHasher) {
        hasher.write(tag: .data)
        hasher.write(length: count)
        withUnsafeBytes { hasher.write(bytes: $0) }
    }
}

/// A decimal is its tag and its canonical decimal string: equal values, whatever their
/// scale (`1.0`, `1.00` and `1`), have the one compact form Foundation prints (`"1"`); zero
/// is `"0"` whatever its sign, and NaN is `"NaN"`.
extension Decimal: StableHashable {
    public func stableHash(into hasher: inout StableHasher) {
        hasher.write(tag: .decimal)
        (isZero ? "0" : description).stableHash(into: &hasher)
    }
}
