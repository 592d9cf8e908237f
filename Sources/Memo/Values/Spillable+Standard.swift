/// Bytes of bookkeeping a heap-allocated buffer (an array's or a string's) carries.
let heapHeaderCost = 32

extension String: Spillable {
    /// The string's UTF-8 storage plus its header.
    public var memoryCost: Int {
        MemoryLayout<String>.size + (utf8.count > 15 ? heapHeaderCost + utf8.count : 0)
    }
    /// Writes the length and the UTF-8 bytes.
    public func spill(into writer: inout SpillWriter) throws { writer.write(self) }
    /// Reads the string back; invalid UTF-8 is corrupt.
    public init(unspilling reader: inout SpillReader) throws { self = try reader.read(String.self) }
}

extension Array: Spillable where Element: Spillable {
    /// The element storage and header; for elements that own memory, theirs too.
    public var memoryCost: Int { orderedElementsCost(self) }

    /// Numbers are written as one block of memory; other elements one after another.
    public func spill(into writer: inout SpillWriter) throws {
        if let block = spillNumberBlock(self) {
            block(&writer)
            return
        }
        writer.write(UInt64(count))
        for element in self { try element.spill(into: &writer) }
    }

    /// Reads the elements back, numbers with one copy of their memory.
    public init(unspilling reader: inout SpillReader) throws {
        if Element.self is any SpillableNumber.Type {
            self = try unspillNumberBlock(Element.self, from: &reader)
            return
        }
        let count = try reader.readCount()
        var elements: [Element] = []
        elements.reserveCapacity(Swift.min(count, reader.remaining))
        for _ in 0..<count { elements.append(try Element(unspilling: &reader)) }
        self = elements
    }
}

extension ContiguousArray: Spillable where Element: Spillable {
    /// As for `Array` (computed in place: no copy to an `Array`).
    public var memoryCost: Int { orderedElementsCost(self) }
    /// The same payload as the equivalent `Array`.
    public func spill(into writer: inout SpillWriter) throws {
        try Array(self).spill(into: &writer)
    }
    /// Reads an `Array` payload.
    public init(unspilling reader: inout SpillReader) throws {
        self = ContiguousArray(try [Element](unspilling: &reader))
    }
}

extension Optional: Spillable where Wrapped: Spillable {
    /// The wrapped value's cost, or one byte for `nil`.
    public var memoryCost: Int { self?.memoryCost ?? 1 }
    /// A byte, 0 for `nil` and 1 for a value, then the value.
    public func spill(into writer: inout SpillWriter) throws {
        switch self {
        case .none: writer.write(UInt8(0))
        case .some(let wrapped):
            writer.write(UInt8(1))
            try wrapped.spill(into: &writer)
        }
    }
    /// Reads the presence byte and the value.
    public init(unspilling reader: inout SpillReader) throws {
        switch try reader.read(UInt8.self) {
        case 0: self = .none
        case 1: self = .some(try Wrapped(unspilling: &reader))
        case let other:
            throw SpillDecodingError.invalid("an Optional tag must be 0 or 1, found \(other)")
        }
    }
}

extension Dictionary: Spillable where Key: Spillable, Value: Spillable {
    /// The keys' and values' costs plus a slot's worth of table per entry.
    public var memoryCost: Int {
        reduce(MemoryLayout<Self>.size + heapHeaderCost) {
            $0 + $1.key.memoryCost + $1.value.memoryCost + MemoryLayout<Int>.size
        }
    }
    /// The count, then each key and value.
    public func spill(into writer: inout SpillWriter) throws {
        writer.write(UInt64(count))
        for (key, value) in self {
            try key.spill(into: &writer)
            try value.spill(into: &writer)
        }
    }
    /// Reads the entries back; a repeated key is corrupt.
    public init(unspilling reader: inout SpillReader) throws {
        let count = try reader.readCount()
        var entries: [Key: Value] = [:]
        entries.reserveCapacity(Swift.min(count, reader.remaining))
        for _ in 0..<count {
            let key = try Key(unspilling: &reader)
            let value = try Value(unspilling: &reader)
            guard entries.updateValue(value, forKey: key) == nil else {
                throw SpillDecodingError.invalid("a dictionary payload repeats a key")
            }
        }
        self = entries
    }
}

extension Set: Spillable where Element: Spillable {
    /// The elements' costs plus a slot's worth of table per element.
    public var memoryCost: Int {
        reduce(MemoryLayout<Self>.size + heapHeaderCost) {
            $0 + $1.memoryCost + MemoryLayout<Int>.size
        }
    }
    /// The count, then each element.
    public func spill(into writer: inout SpillWriter) throws {
        writer.write(UInt64(count))
        for element in self { try element.spill(into: &writer) }
    }
    /// Reads the elements back; a repeated element is corrupt.
    public init(unspilling reader: inout SpillReader) throws {
        let count = try reader.readCount()
        var elements = Set<Element>()
        elements.reserveCapacity(Swift.min(count, reader.remaining))
        for _ in 0..<count {
            guard elements.insert(try Element(unspilling: &reader)).inserted else {
                throw SpillDecodingError.invalid("a set payload repeats an element")
            }
        }
        self = elements
    }
}

/// What an array-like container costs: its reference, its buffer's header, and its
/// elements (plain numbers by their stride, anything else by its own cost).
private func orderedElementsCost<Elements: RandomAccessCollection>(_ elements: Elements) -> Int
where Elements.Element: Spillable {
    let container = MemoryLayout<Elements>.size + heapHeaderCost
    if Elements.Element.self is any SpillableNumber.Type {
        return container + elements.count * MemoryLayout<Elements.Element>.stride
    }
    return elements.reduce(container) { $0 + $1.memoryCost }
}

/// The one-block writer for an array whose elements are plain numbers, or `nil`.
private func spillNumberBlock<Element>(_ array: [Element]) -> ((inout SpillWriter) -> Void)? {
    guard let number = Element.self as? any SpillableNumber.Type else { return nil }
    func open<Number: SpillableNumber>(_: Number.Type) -> (inout SpillWriter) -> Void {
        let numbers = unsafeBitCast(array, to: [Number].self)
        return { writer in writer.writeArray(numbers) }
    }
    return open(number)
}

/// Reads an array of plain numbers written by `spillNumberBlock`.
private func unspillNumberBlock<Element>(
    _: Element.Type, from reader: inout SpillReader
) throws -> [Element] {
    let number = Element.self as! any SpillableNumber.Type
    func open<Number: SpillableNumber>(_: Number.Type) throws -> [Element] {
        unsafeBitCast(try reader.readArray(of: Number.self), to: [Element].self)
    }
    return try open(number)
}

/// Values whose spill payload can be read from a file straight into their own storage.
protocol DirectSpillDecodable: Spillable {
    /// Reads `payloadCount` bytes of payload from `stream`, feeding them to `checksum`.
    static func decodeDirectly(
        from stream: inout SpillFileStream, payloadCount: Int, checksum: inout StableHasher
    ) throws -> Self
}

/// An array of numbers reloads as one copy, from the file into the array's memory (the
/// payload `SpillWriter.writeArray` wrote: a count, then the raw elements).
extension Array: DirectSpillDecodable where Element: SpillableNumber {
    static func decodeDirectly(
        from stream: inout SpillFileStream, payloadCount: Int, checksum: inout StableHasher
    ) throws -> [Element] {
        var littleEndianCount: UInt64 = 0
        let read = try Swift.withUnsafeMutableBytes(of: &littleEndianCount) {
            try stream.read(into: $0)
        }
        let count = Int(truncatingIfNeeded: UInt64(littleEndian: littleEndianCount))
        let (byteCount, overflow) = count.multipliedReportingOverflow(
            by: MemoryLayout<Element>.stride)
        guard read == 8, count >= 0, !overflow, byteCount == payloadCount - 8 else {
            throw SpillFileError.payload("an array's count does not match its payload length")
        }
        Swift.withUnsafeBytes(of: littleEndianCount) { checksum.write(bytes: $0) }
        // Not `unsafeUninitializedCapacity: 0` (see `CompactDecoder.block`).
        guard count > 0 else { return [] }
        return try [Element](unsafeUninitializedCapacity: count) { storage, initialized in
            let raw = UnsafeMutableRawBufferPointer(storage)
            guard try stream.read(into: raw) == raw.count else {
                throw SpillFileError.lengthMismatch(
                    expected: UInt64(payloadCount), found: stream.position)
            }
            checksum.write(bytes: UnsafeRawBufferPointer(raw))
            initialized = count
        }
    }
}
