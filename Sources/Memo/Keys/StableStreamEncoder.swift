import Cxxhash

/// A spare encoder, so that keying a small value allocates neither an encoder nor its buffers.
private let stableSpareEncoder = SpareObject<StableStreamEncoder>()

/// The fast path of ``StableEncoder``: writes the canonical bytes as the value encodes,
/// into one buffer, and sorts a keyed container's fields in place when it closes.
///
/// It writes exactly the bytes ``StableEncoder/serialize(_:into:)`` writes for the tree,
/// with none of the tree's allocations (the tests compare the two on random values). It
/// relies on what nearly every `encode(to:)` does: a container is finished before anything
/// is written to a container that encloses it. A value that writes to a container after
/// that (legal, if rare) is detected and encoded again by the tree (``needsTree``).
///
/// State lives in `@exclusivity(unchecked)` properties: the encoder never holds an access
/// across a call out, and the dynamic checks cost more than the encoding. `@unchecked
/// Sendable` only so that the pool may hand it from thread to thread; one thread uses it at
/// a time.
final class StableStreamEncoder: Encoder, @unchecked Sendable {
    /// The canonical bytes written so far (a `CompactSink`, never in counting mode).
    @exclusivity(unchecked) var sink = CompactSink()
    @exclusivity(unchecked) var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    /// The open containers, innermost last.
    @exclusivity(unchecked) var frames: [StableStreamFrame] = []
    /// The fields of the open keyed containers, innermost last: `fields[..<fieldCount]`
    /// (the array keeps its storage between values).
    @exclusivity(unchecked) var fields: [StableStreamField] = []
    @exclusivity(unchecked) var fieldCount = 0
    @exclusivity(unchecked) var nextSerial: UInt32 = 0
    /// The frame of the value that `self`, as an `Encoder`, is encoding.
    @exclusivity(unchecked) var currentSlot = -1
    @exclusivity(unchecked) var depth = 0
    /// Whether the value used a container after it ended: only the tree encodes it right.
    @exclusivity(unchecked) var needsTree = false
    /// The last type found to be neither fast, `StableHashable` nor a dictionary or set,
    /// to skip its conformance look-ups next time.
    @exclusivity(unchecked) var lastCompositeType: ObjectIdentifier?
    /// The last root type keyed and its name: most keys are of the type keyed before.
    @exclusivity(unchecked) var lastRootType: ObjectIdentifier?
    @exclusivity(unchecked) var lastRootName = ""

    deinit { sink.release() }

    /// The signal that the tree must encode the value, thrown where the API can throw.
    struct NeedsTree: Error {}

    // MARK: Entry points

    /// The digest of the type's name and the canonical encoding of `value`, or nil when
    /// only the tree can encode it. Throws what `encode(to:)` throws.
    static func digest<Value: Encodable>(of value: Value) throws -> CacheKey? {
        let encoder = take()
        defer { recycle(encoder) }
        let id = ObjectIdentifier(Value.self)
        if encoder.lastRootType != id {
            (encoder.lastRootType, encoder.lastRootName) = (id, StableEncoder.typeName(Value.self))
        }
        encoder.writeString(encoder.lastRootName)
        // The root through its `encode(to:)`: its `StableHashable` conformance is this one.
        do { try encoder.encodeComposite(value) } catch {
            if encoder.needsTree { return nil }
            throw error
        }
        return encoder.needsTree ? nil : encoder.finish()
    }

    /// The digest of one entry of an unordered collection, `parts` encoded in turn, or nil
    /// when only the tree can encode them.
    static func digest(of parts: [any Encodable]) throws -> CacheKey? {
        let encoder = take()
        defer { recycle(encoder) }
        encoder.depth = 1  // The tree counts each part as a value below a root.
        do {
            for part in parts { try encoder.encodeValue(part) }
        } catch {
            if encoder.needsTree { return nil }
            throw error
        }
        return encoder.needsTree ? nil : encoder.finish()
    }

    /// XXH3-128 of the bytes written, in one shot.
    func finish() -> CacheKey {
        let digest = XXH3_128bits(sink.base, sink.position)
        return CacheKey(high: digest.high64, low: digest.low64)
    }

    /// An encoder from the pool, or a new one.
    static func take() -> StableStreamEncoder {
        stableSpareEncoder.take() ?? StableStreamEncoder()
    }

    /// Resets `encoder` and returns it to the pool, dropping a scratch buffer grown large.
    static func recycle(_ encoder: StableStreamEncoder) {
        encoder.sink.position = 0
        if encoder.sink.capacity > 1 << 20 { encoder.sink.release() }
        encoder.codingPath.removeAll(keepingCapacity: true)
        encoder.frames.removeAll(keepingCapacity: true)
        encoder.fieldCount = 0
        (encoder.currentSlot, encoder.depth, encoder.needsTree) = (-1, 0, false)
        stableSpareEncoder.put(encoder)
    }

    // MARK: Values

    /// Writes a value at the current position: numbers and strings as their own
    /// conformances' bytes, other `StableHashable` values by their digest, dictionaries and
    /// sets entry by entry, anything else through its `encode(to:)`. `key`, when given, is
    /// appended to `path` for what may throw or read the coding path.
    @inline(__always) func encodeValue<T: Encodable>(
        _ value: T, key: (any CodingKey)? = nil, path: [any CodingKey] = []
    ) throws {
        let known = ObjectIdentifier(T.self) == lastCompositeType
        if !known, let fast = T.self as? any StableStreamFastEncodable.Type { return encodeFast(fast, value) }
        var savedPath: [any CodingKey]?
        if let key {
            if path.count != codingPath.count { (savedPath, codingPath) = (codingPath, path) }
            codingPath.append(key)
        }
        defer { if key != nil { if let savedPath { codingPath = savedPath } else { codingPath.removeLast() } } }
        if !known {
            if let stable = value as? any StableHashable { return try writeDigest(of: stable) }
            if let unordered = value as? any StableUnorderedEncodable { return try writeUnordered(unordered) }
            // Remembered only when the casts' answers follow from the type alone: a class's
            // value may be a subclass that is `StableHashable`, and an Optional's cast
            // looks at its payload.
            if !(T.self is AnyClass), !(T.self is any StableOptionalMarker.Type) {
                lastCompositeType = ObjectIdentifier(T.self)
            }
        }
        try encodeComposite(value)
    }

    /// Calls the fast path of `F`, which is `T`.
    @inline(__always) func encodeFast<F: StableStreamFastEncodable, T>(_: F.Type, _ value: T) {
        withUnsafePointer(to: value) { pointer in
            UnsafeRawPointer(pointer).assumingMemoryBound(to: F.self).pointee.streamEncode(into: self)
        }
    }

    /// Encodes a value through its own `encode(to:)`, with `self` as its encoder.
    func encodeComposite<T: Encodable>(_ value: T) throws {
        // The root is depth 0, as in the tree, which counts the values below it.
        guard depth <= StableEncoder.maximumDepth else {
            throw EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: "nested too deeply"))
        }
        let slot = pushFrame(.pending)
        let serial = frames[slot].serial
        let outerSlot = currentSlot
        (currentSlot, depth) = (slot, depth + 1)
        defer { (currentSlot, depth) = (outerSlot, depth - 1) }
        try value.encode(to: self)
        guard isLive(slot, serial) else {
            needsTree = true
            throw NeedsTree()
        }
        closeFrames(from: slot)
    }

    @inline(__always) func writeNil() { sink.appendByte(StableTypeTag.encodedNil.rawValue) }

    /// A number: its tag and its little-endian memory, as its own conformance writes it.
    @inline(__always) func writeNumber<N: StableHashableNumber>(_ value: N) {
        #if _endian(little) && _pointerBitWidth(_64)
            sink.appendByte(N.stableTag.rawValue)
            withUnsafeBytes(of: value) { sink.appendRaw($0) }
        #else
            // Elsewhere `Int`'s memory is not its 8-byte encoding: the tree writes the digest.
            needsTree = true
        #endif
    }

    /// A string: its tag, its UTF-8 length (8 bytes) and its UTF-8.
    @inline(__always) func writeString(_ value: String) {
        var text = value
        text.withUTF8 { utf8 in
            sink.append(tag: StableTypeTag.string.rawValue, UInt64(utf8.count))
            sink.appendRaw(UnsafeRawBufferPointer(utf8))
        }
    }

    func writeDigest(of value: any StableHashable) throws {
        var child = StableHasher()
        value.stableHash(into: &child)
        if child.isUnkeyable {
            _ = child.finalize()
            throw EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: "cannot be keyed"))
        }
        let digest = child.finalize()
        sink.append(tag: StableTypeTag.stableDigest.rawValue, digest.high)
        sink.append(digest.low)
    }

    func writeUnordered(_ value: any StableUnorderedEncodable) throws {
        let (tag, digests) = try value.stableEntryDigests()
        sink.append(tag: tag.rawValue, UInt64(digests.count))
        for digest in digests.sorted() {
            sink.append(digest.high)
            sink.append(digest.low)
        }
    }

    // MARK: Frames

    func pushFrame(_ kind: StableStreamFrame.Kind) -> Int {
        nextSerial = (nextSerial &+ 1) & 0x7FFF_FFFF
        frames.append(StableStreamFrame(kind: kind, serial: nextSerial))
        return frames.count - 1
    }

    @inline(__always) func isLive(_ frame: Int, _ serial: UInt32) -> Bool {
        frame >= 0 && frame < frames.count && frames[frame].serial == serial
    }

    /// The serial of a frame, or 0 (never live) for no frame.
    func serial(of frame: Int) -> UInt32 { frame >= 0 && frame < frames.count ? frames[frame].serial : 0 }

    /// Closes (and pops) `frames[index...]`, innermost first.
    @inline(__always) func closeFrames(from index: Int) {
        while frames.count > index { close(frames.removeLast()) }
    }

    func close(_ frame: StableStreamFrame) {
        switch frame.kind {
        case .pending, .single:  // The value asked for no container, or wrote nothing to it.
            sink.appendByte(StableTypeTag.encodedEmpty.rawValue)
        case .keyed:
            patchCount(frame)
            sortFields(from: frame.fieldStart)
            fieldCount = frame.fieldStart
        case .unkeyed:
            patchCount(frame)
        case .done:
            break
        }
    }

    func patchCount(_ frame: StableStreamFrame) {
        (sink.base.unsafelyUnwrapped + frame.countOffset).storeBytes(of: UInt64(frame.count).littleEndian, as: UInt64.self)
    }
}

/// Optional, whatever it wraps: its dynamic casts answer for its payload.
protocol StableOptionalMarker {}
extension Optional: StableOptionalMarker {}

/// A container (or a value) being written, on the encoder's stack of open ones.
struct StableStreamFrame {
    /// What the frame has become so far: `single` until its value is written (`done`).
    enum Kind { case pending, keyed, unkeyed, single, done }

    var kind: Kind
    /// Tells a live frame from a closed one whose slot was reused.
    var serial: UInt32
    /// Where the 8-byte count placeholder is.
    var countOffset = 0
    /// Fields or elements written so far.
    var count = 0
    /// Where this container's fields start in `StableStreamEncoder.fields`.
    var fieldStart = 0
}
