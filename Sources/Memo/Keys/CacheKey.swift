/// A 128-bit XXH3 digest of the canonical encoding of some values: the identity of a
/// cached result.
///
/// ```swift
/// let key = CacheKey(hashing: "spectrum", signal, 1024)
/// key.hex   // 32 lowercase hex digits
/// ```
///
/// Keys are stable across processes, runs and releases; `Fixtures/keys/` freezes them.
public struct CacheKey: Sendable, Hashable, Comparable {
    /// The digest's high 64 bits (the first 16 hex digits).
    public let high: UInt64
    /// The digest's low 64 bits (the last 16 hex digits).
    public let low: UInt64

    /// Creates a key from the two halves of a digest.
    @inlinable public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The key of a sequence of values: each value's encoding, one after another.
    ///
    /// Every encoding is self-delimiting (a type tag, and a length wherever the size
    /// varies), so `("ab", "c")` and `("a", "bc")` have different keys.
    @inlinable public init<each Value: StableHashable>(hashing value: repeat each Value) {
        var hasher = StableHasher()
        repeat (each value).stableHash(into: &hasher)
        self = hasher.finalize()
    }

    /// The digest as 32 lowercase hexadecimal digits, high half first (XXH128's canonical
    /// big-endian form).
    public var hex: String {
        String(unsafeUninitializedCapacity: 32) { buffer in
            let digits: StaticString = "0123456789abcdef"
            let table = digits.utf8Start
            for index in 0..<16 {
                buffer[index] = table[Int((high >> UInt64(60 - 4 * index)) & 0xF)]
                buffer[16 + index] = table[Int((low >> UInt64(60 - 4 * index)) & 0xF)]
            }
            return 32
        }
    }

    /// Parses 32 hexadecimal digits (either case), as ``hex`` prints them; `nil` otherwise.
    public init?(hex: some StringProtocol) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 32 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, character) in utf8.enumerated() {
            let nibble: UInt8
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = character - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = character - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = character - UInt8(ascii: "A") + 10
            default: return nil
            }
            if index < 16 {
                high = high << 4 | UInt64(nibble)
            } else {
                low = low << 4 | UInt64(nibble)
            }
        }
        self.init(high: high, low: low)
    }

    /// Feeds the low half only: a digest is already uniformly distributed.
    @inlinable public func hash(into hasher: inout Hasher) {
        hasher.combine(low)
    }

    /// The hash a `Dictionary` or `Set` uses: the digest's low half mixed with the
    /// table's seed by one multiply, instead of SipHash over it, which cost a third of a
    /// cached hit. The digest is already uniform; the per-table seed (random per process)
    /// still keeps an adversary from choosing keys that collide in one table, since
    /// producing a given digest means inverting XXH3 on inputs the caller controls only
    /// through arguments.
    @inlinable public func _rawHashValue(seed: Int) -> Int {
        let mixed = (low ^ UInt64(bitPattern: Int64(seed))) &* 0x9E37_79B9_7F4A_7C15
        return Int(bitPattern: UInt(truncatingIfNeeded: mixed ^ (mixed >> 29)))
    }

    /// Orders keys by their digest, high half first.
    public static func < (lhs: CacheKey, rhs: CacheKey) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }
}

extension CacheKey: CustomStringConvertible {
    /// The ``hex`` digest.
    public var description: String { hex }
}

extension CacheKey: Codable {
    /// Decodes the ``hex`` form; anything else is a `DecodingError.dataCorrupted`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let key = CacheKey(hex: text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "expected 32 hexadecimal digits, found \"\(text)\"")
        }
        self = key
    }

    /// Encodes the ``hex`` form.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}

/// A key can itself be an argument, for results derived from other cached results.
extension CacheKey: StableHashable {
    @inlinable @inline(__always) public func stableHash(into hasher: inout StableHasher) {
        hasher.write(tag: .cacheKey)
        hasher.write(high)
        hasher.write(low)
    }
}
