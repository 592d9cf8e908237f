/// Collects the payload of a spill file.
///
/// Small writes are gathered in a buffer; the contents of large arrays of numbers are kept
/// by reference and written to the file straight from the array's memory, so spilling a
/// 64 MiB `[Double]` copies nothing before the `write` system call.
///
/// Every integer is written little-endian.
public struct SpillWriter: Sendable {
    /// Arrays at least this large are kept by reference instead of copied.
    static let referenceThreshold = 4096

    var chunks: [SpillChunk] = []
    var buffer: [UInt8] = []
    /// Payload bytes written so far.
    public private(set) var count = 0

    init() {}

    /// Appends an integer, little-endian.
    public mutating func write<Integer: FixedWidthInteger>(_ value: Integer) {
        withUnsafeBytes(of: value.littleEndian) { buffer.append(contentsOf: $0) }
        count += MemoryLayout<Integer>.size
    }

    /// Appends a `Double` by its bit pattern.
    public mutating func write(_ value: Double) { write(value.bitPattern) }

    /// Appends a `Float` by its bit pattern.
    public mutating func write(_ value: Float) { write(value.bitPattern) }

    /// Appends a `Bool` as one byte, 0 or 1.
    public mutating func write(_ value: Bool) { write(UInt8(value ? 1 : 0)) }

    /// Appends a length-prefixed UTF-8 string.
    public mutating func write(_ value: String) {
        var copy = value
        copy.withUTF8 { utf8 in
            write(UInt64(utf8.count))
            buffer.append(contentsOf: utf8)
            count += utf8.count
        }
    }

    /// Appends another spillable value's payload (for a value made of spillable parts).
    public mutating func writeValue<Value: Spillable>(_ value: Value) throws {
        try value.spill(into: &self)
    }

    /// Appends an element count and the raw memory of an array of plain numbers.
    ///
    /// Large arrays are not copied: the writer keeps the array and the file is written
    /// from its memory. ``SpillReader/readArray(of:)`` reads it back.
    public mutating func writeArray<Element: BitwiseCopyable & Sendable>(_ array: [Element]) {
        write(UInt64(array.count))
        let byteCount = array.count * MemoryLayout<Element>.stride
        if byteCount >= Self.referenceThreshold {
            flushBuffer()
            chunks.append(.array(SpillArrayBlock(array)))
        } else {
            array.withUnsafeBytes { buffer.append(contentsOf: $0) }
        }
        count += byteCount
    }

    /// Appends a byte count and a block of raw memory, kept by reference when large (as
    /// ``writeArray(_:)`` keeps an array).
    mutating func writeBlock(_ block: some SpillRawBlock) {
        write(UInt64(block.byteCount))
        if block.byteCount >= Self.referenceThreshold {
            flushBuffer()
            chunks.append(.array(block))
        } else {
            block.withBytes { buffer.append(contentsOf: $0) }
        }
        count += block.byteCount
    }

    /// Appends a length and the compact encoding of `value`, encoded straight into the
    /// payload (no intermediate copy). On error nothing is appended.
    mutating func writeCodable<Value: Encodable>(_ value: Value) throws {
        let lengthAt = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: 8))
        do {
            try CompactCoding.encode(value, appendingTo: &buffer)
        } catch {
            buffer.removeSubrange(lengthAt...)
            throw error
        }
        let length = buffer.count - lengthAt - 8
        withUnsafeBytes(of: UInt64(length).littleEndian) { bytes in
            buffer.replaceSubrange(lengthAt..<lengthAt + 8, with: bytes)
        }
        count += 8 + length
    }

    /// Appends raw bytes with no length prefix.
    public mutating func writeBytes(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
        count += bytes.count
    }

    private mutating func flushBuffer() {
        guard !buffer.isEmpty else { return }
        chunks.append(.bytes(buffer))
        buffer = []
    }

    /// The finished payload, as chunks in order.
    consuming func finish() -> [SpillChunk] {
        flushBuffer()
        return chunks
    }
}

/// A piece of a spill file: copied bytes, or an array written from its own memory.
enum SpillChunk: Sendable {
    case bytes([UInt8])
    case array(any SpillRawBlock)

    func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        switch self {
        case .bytes(let bytes): return try bytes.withUnsafeBytes(body)
        case .array(let block): return try block.withBytes(body)
        }
    }

    var count: Int {
        switch self {
        case .bytes(let bytes): return bytes.count
        case .array(let block): return block.byteCount
        }
    }
}

/// The memory of an array, kept alive and read in place.
protocol SpillRawBlock: Sendable {
    var byteCount: Int { get }
    func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result
}

struct SpillArrayBlock<Element: BitwiseCopyable & Sendable>: SpillRawBlock {
    let array: [Element]
    init(_ array: [Element]) { self.array = array }
    var byteCount: Int { array.count * MemoryLayout<Element>.stride }
    func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try array.withUnsafeBytes(body)
    }
}
