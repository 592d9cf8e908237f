import Synchronization

/// A spare encoder, so that encoding a small value allocates neither an encoder nor its
/// stacks and scratch buffer.
private let compactSpareEncoder = SpareObject<CompactEncoder>()

/// The streaming encoder: one per payload, itself the `Encoder` of the value being encoded.
///
/// State lives in `@exclusivity(unchecked)` properties: the encoder never holds an access
/// across a call out, and the dynamic checks would cost more than the encoding itself.
/// `@unchecked Sendable` only so the pool may hand it from thread to thread; it is used by
/// one thread at a time.
final class CompactEncoder: Encoder, @unchecked Sendable {
    @exclusivity(unchecked) var sink = CompactSink()
    @exclusivity(unchecked) var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    /// The open containers, innermost last.
    @exclusivity(unchecked) var frames: [CompactEncodingFrame] = []
    /// The key hashes of the open hashed containers, to detect two keys colliding.
    /// Only `hashes[..<hashCount]` are in use: the array keeps its storage between payloads.
    @exclusivity(unchecked) var hashes: [UInt64] = []
    @exclusivity(unchecked) var hashCount = 0
    @exclusivity(unchecked) var nextSerial: UInt32 = 0
    /// The frame of the value that `self`, as an `Encoder`, is encoding.
    @exclusivity(unchecked) var currentSlot = -1
    @exclusivity(unchecked) var depth = 0
    /// A misuse found where the `Encoder` API cannot throw; thrown when the value ends.
    @exclusivity(unchecked) var pendingError: (any Error)?
    /// Where the latest value consisting of `some`* `nil` starts and ends.
    @exclusivity(unchecked) var nilRunStart = -1
    @exclusivity(unchecked) var nilRunEnd = -1
    /// The last type found to have no fast path, to skip the conformance look-up next time.
    @exclusivity(unchecked) var lastCompositeType: ObjectIdentifier?
    /// The last key type probed by ``keyTypeIsOpen(_:)`` and the answer.
    @exclusivity(unchecked) var probedKeyType: ObjectIdentifier?
    @exclusivity(unchecked) var probedKeyIsOpen = false
    @exclusivity(unchecked) var keyHashes = CompactKeyHashCache()

    deinit { sink.release() }

    /// An encoder from the pool, or a new one.
    static func take(counting: Bool) -> CompactEncoder {
        let encoder = compactSpareEncoder.take() ?? CompactEncoder()
        encoder.sink.counting = counting
        return encoder
    }

    /// Resets `encoder` and returns it to the pool, dropping a scratch buffer grown large.
    static func recycle(_ encoder: CompactEncoder) {
        encoder.sink.position = 0
        if encoder.sink.capacity > 1 << 20 { encoder.sink.release() }
        encoder.codingPath.removeAll(keepingCapacity: true)
        while !encoder.frames.isEmpty { encoder.frames.removeLast() }
        (encoder.hashCount, encoder.currentSlot, encoder.depth, encoder.pendingError) = (0, -1, 0, nil)
        compactSpareEncoder.put(encoder)
    }

    /// Encodes the top-level value.
    func encodeRoot<T: Encodable>(_ value: T) throws {
        try encodeValue(value)
        if let error = pendingError { throw error }
        closeFrames(from: 0)
    }

    /// Encodes a value at the current position, through a fast path when its type has one.
    @inline(__always) func encodeValue<T: Encodable>(_ value: T) throws {
        if ObjectIdentifier(T.self) != lastCompositeType, let fast = T.self as? any CompactFastEncodable.Type {
            try encodeFast(fast, value)
        } else {
            lastCompositeType = ObjectIdentifier(T.self)
            try encodeComposite(value)
        }
    }

    /// Encodes the value of a field or element, `key` on the coding path of what it encodes.
    @inline(__always) func encodeValue<T: Encodable, K: CodingKey>(_ value: T, key: K, path: [any CodingKey])
        throws
    {
        if ObjectIdentifier(T.self) != lastCompositeType, let fast = T.self as? any CompactFastEncodable.Type {
            return try encodeFast(fast, value)
        }
        lastCompositeType = ObjectIdentifier(T.self)
        var savedPath: [any CodingKey]?
        if path.count != codingPath.count { (savedPath, codingPath) = (codingPath, path) }
        codingPath.append(key)
        defer { if let savedPath { codingPath = savedPath } else { codingPath.removeLast() } }
        try encodeComposite(value)
    }

    /// Calls the fast path of `F`, which is `T`.
    @inline(__always) func encodeFast<F: CompactFastEncodable, T>(_: F.Type, _ value: T) throws {
        try withUnsafePointer(to: value) { pointer in
            try UnsafeRawPointer(pointer).assumingMemoryBound(to: F.self).pointee.compactEncode(into: self)
        }
    }

    /// Encodes a value through its own `encode(to:)`, with `self` as its encoder.
    func encodeComposite<T: Encodable>(_ value: T) throws {
        guard depth < CompactCoding.maximumDepth else {
            throw EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: "nested too deeply"))
        }
        let slot = pushFrame(.pending)
        let outerSlot = currentSlot
        (currentSlot, depth) = (slot, depth + 1)
        defer { (currentSlot, depth) = (outerSlot, depth - 1) }
        try value.encode(to: self)
        if let error = pendingError { pendingError = nil; throw error }
        closeFrames(from: slot)
    }

    /// Writes the wrapped value of a present Optional, marked `some` when it is written as
    /// `some`* `nil` itself, so that `Int??.some(nil)` stays apart from `nil`.
    @inline(__always) func encodeSome(_ write: () throws -> Void) throws {
        let start = sink.position
        try write()
        if nilRunStart == start && nilRunEnd == sink.position {
            sink.insertByte(CompactTag.some, at: start)
            nilRunEnd += 1
        }
    }

    @inline(__always) func writeNil() {
        nilRunStart = sink.position
        sink.appendByte(CompactTag.null)
        nilRunEnd = sink.position
    }

    @inline(__always) func writeBool(_ value: Bool) { sink.append(tag: CompactTag.bool, value ? 1 as UInt8 : 0) }

    @inline(__always) func writeNumber<N: CompactNumber>(_ value: N) { sink.append(tag: N.compactTag, value.compactBits) }

    @inline(__always) func writeString(_ value: String) throws {
        sink.appendByte(CompactTag.string)
        try sink.appendText(value)
    }

    /// Writes an array of numbers as one number block.
    func writeBlock<N: CompactNumber>(_ array: [N]) throws {
        guard let count = UInt32(exactly: array.count) else { throw compactTooLong(array.count) }
        sink.append(tag: CompactTag.block, N.compactTag)
        sink.append(count)
        if compactHostIsLittleEndian && MemoryLayout<N>.stride == MemoryLayout<N.Bits>.size {
            array.withUnsafeBytes { sink.appendRaw($0) }
        } else {
            for value in array { sink.append(value.compactBits) }
        }
    }

    // MARK: Frames

    func pushFrame(_ kind: CompactEncodingFrame.Kind) -> Int {
        nextSerial = (nextSerial &+ 1) & 0x7FFF_FFFF
        frames.append(CompactEncodingFrame(kind: kind, serial: nextSerial))
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

    func close(_ frame: CompactEncodingFrame) {
        switch frame.kind {
        case .pending:  // The value asked for no container: an empty keyed container stands for it.
            sink.append(tag: CompactTag.keyed, UInt32(0))
        case .hashed:
            sink.patch(frame.count, at: frame.countOffset)
            hashCount = frame.hashStart
        case .named, .unkeyed:
            sink.patch(frame.count, at: frame.countOffset)
        case .done:
            break
        }
    }

    /// Writes one field (`keyed`: its key's `name` or `hash`) or element into `frame`, first
    /// closing the containers opened after it; on error, none of it is left.
    @inline(__always) func field(
        _ frame: Int, _ serial: UInt32, keyed: Bool, name: () -> String, hash: () -> UInt64,
        _ body: (CompactEncoder) throws -> Void
    ) throws {
        guard isLive(frame, serial) else { throw misuse("a container was used after it ended") }
        if frames.count > frame + 1 { closeFrames(from: frame + 1) }
        guard frames[frame].count < UInt32.max else { throw compactTooLong(Int(UInt32.max)) }
        let mark = sink.position
        let hashMark = hashCount
        do {
            if keyed { try writeKey(in: frame, name: name, hash: hash) }
            try body(self)
        } catch {
            while frames.count > frame + 1 { frames.removeLast() }
            hashCount = hashMark
            sink.truncate(to: mark)
            throw error
        }
        frames[frame].count += 1
    }

    /// Writes a field key: its name in a named container, else its hash, checked for collisions.
    @inline(__always) func writeKey(in frame: Int, name: () -> String, hash: () -> UInt64) throws {
        if frames[frame].kind == .named { return try sink.appendText(name()) }
        let hash = hash()
        var index = frames[frame].hashStart
        while index < hashCount {
            if hashes[index] == hash { throw misuse("key \"\(name())\" repeats or its hash collides with another key") }
            index += 1
        }
        if hashCount == hashes.count { hashes.append(hash) } else { hashes[hashCount] = hash }
        hashCount += 1
        sink.append(hash)
    }

    func misuse(_ message: String) -> EncodingError {
        EncodingError.invalidValue(message, .init(codingPath: codingPath, debugDescription: "compact encoding: \(message)"))
    }

    func fail(_ message: String) { if pendingError == nil { pendingError = misuse(message) } }

    /// Whether `Key` accepts any string (dictionary keys), so its names must be written.
    @inline(__always) func keyTypeIsOpen<Key: CodingKey>(_: Key.Type) -> Bool {
        let id = ObjectIdentifier(Key.self)
        if id != probedKeyType { (probedKeyType, probedKeyIsOpen) = (id, compactKeyTypeIsOpen(Key.self)) }
        return probedKeyIsOpen
    }
}

/// Two process-wide memos of a key type and whether it is open (low bit), so that a fresh
/// payload does not probe its key types again.
private let compactKeyMemoEven = Atomic<UInt>(0)
private let compactKeyMemoOdd = Atomic<UInt>(0)

/// Whether `Key` accepts any string: asks `init(stringValue:)` with a string no closed key
/// set holds, remembering the answer.
func compactKeyTypeIsOpen<Key: CodingKey>(_: Key.Type) -> Bool {
    let id = UInt(bitPattern: ObjectIdentifier(Key.self))
    let even = (id >> 4) & 1 == 0
    let entry = even ? compactKeyMemoEven.load(ordering: .relaxed) : compactKeyMemoOdd.load(ordering: .relaxed)
    if entry & ~1 == id { return entry & 1 == 1 }
    let open = Key(stringValue: "\u{0}memo\u{0}") != nil
    let update = id | (open ? 1 : 0)
    if even { compactKeyMemoEven.store(update, ordering: .relaxed) } else { compactKeyMemoOdd.store(update, ordering: .relaxed) }
    return open
}

// MARK: Opening containers

extension CompactEncoder {
    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        openKeyed(type, slot: currentSlot, serial: serial(of: currentSlot), path: codingPath)
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        openUnkeyed(slot: currentSlot, serial: serial(of: currentSlot), path: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        CompactUnkeyedEncodingContainer(self, currentSlot, serial(of: currentSlot), single: true, codingPath)
    }

    /// Turns the pending value `slot` into a container of `kind`, or finds it already one.
    ///
    /// Asking twice for the same kind continues the same container, as a class and its
    /// superclass sharing one encoder do. Returns -1 (a container that always throws) on misuse.
    func open(slot: Int, serial: UInt32, as kind: CompactEncodingFrame.Kind) -> Int {
        guard isLive(slot, serial) else {
            fail("a container was requested for a value that has ended")
            return -1
        }
        if frames.count > slot + 1 { closeFrames(from: slot + 1) }
        switch frames[slot].kind {
        case .pending:
            let tag = kind == .hashed ? CompactTag.keyed : kind == .named ? CompactTag.named : CompactTag.unkeyed
            sink.appendByte(tag)
            (frames[slot].kind, frames[slot].countOffset, frames[slot].hashStart) = (kind, sink.position, hashCount)
            sink.append(UInt32(0))
            return slot
        case kind:
            return slot
        default:
            fail("a value asked for two different kinds of container")
            return -1
        }
    }

    func openKeyed<Key: CodingKey>(_: Key.Type, slot: Int, serial: UInt32, path: [any CodingKey])
        -> KeyedEncodingContainer<Key>
    {
        let frame = open(slot: slot, serial: serial, as: keyTypeIsOpen(Key.self) ? .named : .hashed)
        return KeyedEncodingContainer(
            CompactKeyedEncodingContainer<Key>(encoder: self, frame: frame, serial: serial, codingPath: path))
    }

    func openUnkeyed(slot: Int, serial: UInt32, path: [any CodingKey]) -> any UnkeyedEncodingContainer {
        CompactUnkeyedEncodingContainer(self, open(slot: slot, serial: serial, as: .unkeyed), serial, single: false, path)
    }

    /// Writes the key of a field (or nothing, for an element) and pushes a pending frame for
    /// its value, which a nested container or a super encoder then fills. A nested container
    /// in a hashed container is labeled with its key's name: enum decoding asks `allKeys`.
    func nestedSlot(in frame: Int, _ serial: UInt32, key: (some CodingKey)?, labeled: Bool)
        -> (frame: Int, serial: UInt32)
    {
        do {
            let name = { key?.stringValue ?? "" }
            try field(frame, serial, keyed: key != nil, name: name, hash: { compactKeyHash(key!) }) { encoder in
                if labeled, encoder.frames[frame].kind == .hashed {
                    encoder.sink.appendByte(CompactTag.labeled)
                    try encoder.sink.appendText(name())
                }
            }
        } catch {
            if pendingError == nil { pendingError = error }
            return (-1, 0)
        }
        let slot = pushFrame(.pending)
        return (slot, frames[slot].serial)
    }

    /// Writes a single value into the pending frame `frame`; on error, none of it.
    func single(_ frame: Int, _ serial: UInt32, _ body: (CompactEncoder) throws -> Void) throws {
        guard isLive(frame, serial), frames[frame].kind == .pending else {
            throw misuse("a single value container was used twice or after its value ended")
        }
        frames[frame].kind = .done
        let mark = sink.position
        do { try body(self) } catch {
            while frames.count > frame + 1 { frames.removeLast() }
            frames[frame].kind = .pending
            sink.truncate(to: mark)
            throw error
        }
    }
}
