import Cxxhash

/// Feeds the canonical byte encoding of values to XXH3-128.
///
/// A `StableHasher` is what ``StableHashable/stableHash(into:)`` writes into. Unlike the
/// standard library's `Hasher`, it is not seeded per process: the same bytes give the same
/// digest in every process, run and release, which is what lets a persistent cache find
/// yesterday's values.
///
/// Small inputs (a few integers and short strings) are collected in an inline buffer and
/// hashed in one shot, so building a small key never allocates. Past the buffer's capacity
/// the hasher switches to XXH3's streaming state; XXH3 gives the same digest either way.
/// Large contiguous inputs, such as the memory of a `[Double]`, are fed in one update
/// without a copy.
///
/// The hasher is non-copyable: a copy would share the streaming state.
@frozen  // So that `finalize()`, inlined, may `discard self`; Memo has no binary-stability promise.
public struct StableHasher: ~Copyable {
    /// Bytes hashed in one shot when the input stays this small: a memoized call's
    /// function key and a few integers or short strings fit. (256 bytes cost more in
    /// zeroing and moving the buffer than the streaming state saves.)
    /// (A computed property, not a `static let`: code inlined into other modules would
    /// reach a stored one through a lazy-initialization check on every write.)
    @inlinable static var inlineCapacity: Int { 128 }

    @usableFromInline var buffer: InlineBuffer = InlineBuffer()
    @usableFromInline var count: Int = 0
    /// XXH3 streaming state, created on the first overflow of the inline buffer.
    @usableFromInline var stream: OpaquePointer? = nil
    /// Whether a value written could not be encoded (its `encode(to:)` threw): the digest
    /// then keys nothing, and a memoized call runs uncached.
    @usableFromInline var unkeyable = false

    /// Creates an empty hasher.
    @inlinable public init() {}

    deinit {
        if let stream { XXH3_freeState(stream) }
    }

    /// Appends raw bytes to the encoding.
    ///
    /// Conformances use the typed helpers instead; this is the one place bytes enter.
    /// The common case (the bytes fit the inline buffer) is inlined into the caller.
    @inlinable public mutating func write(bytes: UnsafeRawBufferPointer) {
        guard stream == nil, count + bytes.count <= Self.inlineCapacity else {
            return writeSlowly(bytes)
        }
        guard !bytes.isEmpty else { return }
        let offset = count
        withUnsafeMutableBytes(of: &buffer) { storage in
            storage.baseAddress.unsafelyUnwrapped.advanced(by: offset)
                .copyMemory(from: bytes.baseAddress.unsafelyUnwrapped, byteCount: bytes.count)
        }
        count += bytes.count
    }

    /// Feeds the streaming state, creating it (with what the buffer holds) on the first
    /// overflow.
    @usableFromInline mutating func writeSlowly(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        if let stream {
            XXH3_128bits_update(stream, bytes.baseAddress, bytes.count)
            return
        }
        let state = XXH3_createState()!
        XXH3_128bits_reset(state)
        let buffered = count
        withUnsafeBytes(of: &buffer) { storage in
            _ = XXH3_128bits_update(state, storage.baseAddress, buffered)
        }
        XXH3_128bits_update(state, bytes.baseAddress, bytes.count)
        stream = state
    }

    /// Appends an integer in little-endian order, whatever the platform's byte order.
    /// While the input fits the inline buffer this is one store, not a call to `memcpy`.
    @inlinable @inline(__always)
    public mutating func write<Integer: FixedWidthInteger>(_ value: Integer) {
        let size = MemoryLayout<Integer>.size
        guard stream == nil, count + size <= Self.inlineCapacity else {
            return withUnsafeBytes(of: value.littleEndian) { writeSlowly($0) }
        }
        let offset = count
        withUnsafeMutableBytes(of: &buffer) { storage in
            storage.storeBytes(of: value.littleEndian, toByteOffset: offset, as: Integer.self)
        }
        count += size
    }

    /// Appends a one-byte type tag.
    @inlinable @inline(__always) mutating func write(tag: StableTypeTag) {
        write(tag.rawValue)
    }

    /// Appends a length, always as 8 bytes so the encoding does not depend on `Int`'s width.
    @inlinable mutating func write(length: Int) {
        write(UInt64(length))
    }

    /// Whether a value written could not be keyed: its `Encodable` conformance threw while
    /// the canonical encoder encoded it. The digest is then unique (16 random bytes were
    /// written), so it never equals another call's key.
    @inlinable public var isUnkeyable: Bool { unkeyable }

    /// Marks the hasher unkeyable and writes 16 random bytes, so that a digest taken anyway
    /// matches no other.
    package mutating func markUnkeyable() {
        unkeyable = true
        var random = SystemRandomNumberGenerator()
        write(random.next() as UInt64)
        write(random.next() as UInt64)
    }

    /// Appends the encoding of `value`: shorthand for `value.stableHash(into: &self)`.
    @inlinable public mutating func combine<Value: StableHashable>(_ value: Value) {
        value.stableHash(into: &self)
    }

    /// The digest of everything written so far.
    ///
    /// Inlined, so that a small key is hashed straight from the caller's buffer: a call
    /// would move the whole hasher (its 128-byte buffer included) to consume it.
    @inlinable public consuming func finalize() -> CacheKey {
        if let stream {
            discard self
            return Self.digest(consumingStream: stream)
        }
        let used = count
        let key = withUnsafeBytes(of: &buffer) { Self.digest(of: $0.baseAddress!, count: used) }
        // Nothing left to free, and running `deinit` would first move the whole hasher.
        discard self
        return key
    }

    /// XXH3-128 of `count` bytes at `bytes`.
    @usableFromInline static func digest(of bytes: UnsafeRawPointer, count: Int) -> CacheKey {
        let digest = XXH3_128bits(bytes, count)
        return CacheKey(high: digest.high64, low: digest.low64)
    }

    /// The digest of a streaming state, which it then frees.
    @usableFromInline static func digest(consumingStream stream: OpaquePointer) -> CacheKey {
        let digest = XXH3_128bits_digest(stream)
        XXH3_freeState(stream)
        return CacheKey(high: digest.high64, low: digest.low64)
    }
}

extension StableHasher {
    /// 128 bytes of inline storage, kept as a tuple so it lives inside the hasher.
    @usableFromInline struct InlineBuffer {
        @usableFromInline var words:
            (
                UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64
            ) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        @inlinable init() {}
    }
}
