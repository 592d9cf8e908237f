/// Where a ``CompactEncoder`` writes: a scratch buffer it owns, or (`counting`) nowhere.
///
/// One type with a mode rather than two behind a protocol: the counting pass of
/// ``CompactCoding/encodedCount(of:)`` runs the very same code as the real one without a
/// byte buffer, and the encoder and its containers stay non-generic, which spares generic
/// metadata look-ups on every container opened. The buffer is raw memory kept across
/// payloads by pooled encoders: a write is a store, with none of `Array.append`'s checks.
struct CompactSink {
    /// The scratch buffer, owned; freed by ``release()``.
    var base: UnsafeMutableRawPointer?
    var capacity = 0
    /// Bytes written (or counted) so far.
    var position = 0
    /// Whether bytes are only counted.
    var counting = false

    /// Makes room for `count` more bytes and returns where they go; nil when counting.
    @inline(__always) mutating func room(_ count: Int) -> UnsafeMutableRawPointer? {
        if counting { return nil }
        if capacity - position < count { grow(count) }
        return base.unsafelyUnwrapped + position
    }

    mutating func grow(_ count: Int) {
        let newCapacity = Swift.max(256, capacity * 2, position + count)
        let newBase = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        if let base {
            newBase.copyMemory(from: base, byteCount: position)
            base.deallocate()
        }
        (base, capacity) = (newBase, newCapacity)
    }

    mutating func release() {
        base?.deallocate()
        (base, capacity, position) = (nil, 0, 0)
    }

    @inline(__always) mutating func appendByte(_ byte: UInt8) {
        room(1)?.storeBytes(of: byte, as: UInt8.self)
        position += 1
    }

    /// Writes an integer little-endian.
    @inline(__always) mutating func append<T: FixedWidthInteger>(_ value: T) {
        room(MemoryLayout<T>.size)?.storeBytes(of: value.littleEndian, as: T.self)
        position += MemoryLayout<T>.size
    }

    /// Writes a tag and an integer little-endian in one go: most values are just that.
    @inline(__always) mutating func append<T: FixedWidthInteger>(tag: UInt8, _ value: T) {
        if let room = room(1 + MemoryLayout<T>.size) {
            room.storeBytes(of: tag, as: UInt8.self)
            (room + 1).storeBytes(of: value.littleEndian, as: T.self)
        }
        position += 1 + MemoryLayout<T>.size
    }

    @inline(__always) mutating func appendRaw(_ raw: UnsafeRawBufferPointer) {
        if raw.count > 0, let room = room(raw.count) { room.copyMemory(from: raw.baseAddress!, byteCount: raw.count) }
        position += raw.count
    }

    /// Writes a string as a u32 byte count and its UTF-8 bytes.
    @inline(__always) mutating func appendText(_ text: String) throws {
        if counting {
            let count = text.utf8.count
            guard UInt32(exactly: count) != nil else { throw compactTooLong(count) }
            position += 4 + count
            return
        }
        var text = text
        try text.withUTF8 { utf8 in
            guard let count = UInt32(exactly: utf8.count) else { throw compactTooLong(utf8.count) }
            append(count)
            appendRaw(UnsafeRawBufferPointer(utf8))
        }
    }

    /// Overwrites the u32 placeholder at `offset`: container counts are known only at the end.
    @inline(__always) mutating func patch(_ value: UInt32, at offset: Int) {
        if !counting { (base.unsafelyUnwrapped + offset).storeBytes(of: value.littleEndian, as: UInt32.self) }
    }

    /// Inserts one byte before already written ones: the `some` tag of a nested Optional.
    mutating func insertByte(_ byte: UInt8, at offset: Int) {
        if let room = room(1) {
            let start = base.unsafelyUnwrapped + offset
            (start + 1).copyMemory(from: start, byteCount: room - start)
            start.storeBytes(of: byte, as: UInt8.self)
        }
        position += 1
    }

    /// Forgets everything written from `position` on: a failed field leaves no trace.
    @inline(__always) mutating func truncate(to position: Int) { self.position = position }
}

/// The error for a string, container or block too long for a u32 count.
func compactTooLong(_ count: Int) -> EncodingError {
    EncodingError.invalidValue(
        count, .init(codingPath: [], debugDescription: "\(count) elements do not fit a u32 count"))
}

/// A container (or a value) being written, on the encoder's stack of open ones.
///
/// The encoder streams: a container's bytes are contiguous, so a container is closed (its
/// count patched) as soon as anything is written to one of its ancestors.
struct CompactEncodingFrame {
    /// What the frame has become so far.
    enum Kind { case pending, hashed, named, unkeyed, done }

    var kind: Kind
    /// Tells a live frame from a closed one whose slot was reused.
    var serial: UInt32
    /// Where the u32 count placeholder is.
    var countOffset = 0
    /// Fields or elements written so far.
    var count: UInt32 = 0
    /// Where this container's key hashes start in `CompactEncoder.hashes`.
    var hashStart = 0
}

/// A coding key for an array index, in coding paths.
struct CompactIndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { intValue.map { "Index \($0)" } ?? "" }
    init(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { nil }
}

/// A coding key made of a string: "super" for `superEncoder()`.
struct CompactStringKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
