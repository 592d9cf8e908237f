/// Reads a spill file's payload back, in the order ``SpillWriter`` wrote it.
///
/// A reader is only valid inside ``Spillable/init(unspilling:)``: it reads memory the
/// cache owns for the duration of that call. Every read checks the remaining length and
/// throws ``SpillDecodingError`` rather than reading past the end.
public struct SpillReader: ~Copyable {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// Payload bytes not read yet.
    public var remaining: Int { bytes.count - offset }

    private mutating func take(_ count: Int) throws(SpillDecodingError) -> UnsafeRawBufferPointer {
        guard count >= 0, count <= remaining else {
            throw .truncated(needed: count, remaining: remaining)
        }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
        offset += count
        return slice
    }

    /// Reads a little-endian integer.
    public mutating func read<Integer: FixedWidthInteger>(
        _ type: Integer.Type
    ) throws(SpillDecodingError) -> Integer {
        let raw = try take(MemoryLayout<Integer>.size)
        return Integer(littleEndian: raw.loadUnaligned(as: Integer.self))
    }

    /// Reads a `Double` written by ``SpillWriter/write(_:)-(Double)``.
    public mutating func read(_ type: Double.Type) throws(SpillDecodingError) -> Double {
        Double(bitPattern: try read(UInt64.self))
    }

    /// Reads a `Float` written by ``SpillWriter/write(_:)-(Float)``.
    public mutating func read(_ type: Float.Type) throws(SpillDecodingError) -> Float {
        Float(bitPattern: try read(UInt32.self))
    }

    /// Reads a `Bool`; any byte but 0 or 1 is corrupt.
    public mutating func read(_ type: Bool.Type) throws(SpillDecodingError) -> Bool {
        switch try read(UInt8.self) {
        case 0: return false
        case 1: return true
        case let other: throw .invalid("a Bool byte must be 0 or 1, found \(other)")
        }
    }

    /// Reads a length-prefixed string; invalid UTF-8 is corrupt.
    public mutating func read(_ type: String.Type) throws(SpillDecodingError) -> String {
        let length = try readCount()
        let raw = try take(length)
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw .invalid("a string payload is not valid UTF-8")
        }
        return text
    }

    /// Reads a nested spillable value written by ``SpillWriter/writeValue(_:)``.
    public mutating func readValue<Value: Spillable>(_ type: Value.Type) throws -> Value {
        try Value(unspilling: &self)
    }

    /// Reads an array written by ``SpillWriter/writeArray(_:)``, with one copy of its
    /// memory.
    public mutating func readArray<Element: BitwiseCopyable>(
        of type: Element.Type
    ) throws(SpillDecodingError) -> [Element] {
        let count = try readCount()
        let (byteCount, overflow) = count.multipliedReportingOverflow(
            by: MemoryLayout<Element>.stride)
        guard !overflow else { throw .invalid("an array of \(count) elements overflows") }
        let raw = try take(byteCount)
        // Not `unsafeUninitializedCapacity: 0` (see `CompactDecoder.block`).
        guard count > 0 else { return [] }
        return [Element](unsafeUninitializedCapacity: count) { storage, initialized in
            UnsafeMutableRawBufferPointer(storage).copyMemory(from: raw)
            initialized = count
        }
    }

    /// Calls `body` with the next `count` raw bytes, in place: they are valid only during
    /// the call.
    mutating func withBytes<Result>(
        count: Int, _ body: (UnsafeRawBufferPointer) throws -> Result
    ) throws -> Result {
        try body(try take(count))
    }

    /// Reads `count` raw bytes.
    public mutating func readBytes(count: Int) throws(SpillDecodingError) -> [UInt8] {
        Array(try take(count))
    }

    /// Reads an element count written as a `UInt64`, checking that it fits in `Int`.
    public mutating func readCount() throws(SpillDecodingError) -> Int {
        let value = try read(UInt64.self)
        guard let count = Int(exactly: value) else {
            throw .invalid("a count of \(value) does not fit in Int")
        }
        return count
    }
}

/// Why a payload could not be read back.
public enum SpillDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The payload ended early.
    case truncated(needed: Int, remaining: Int)
    /// The bytes do not describe a value of the expected type.
    case invalid(String)

    /// A sentence saying what was wrong.
    public var description: String {
        switch self {
        case .truncated(let needed, let remaining):
            return "spill payload truncated: needed \(needed) bytes, \(remaining) remain"
        case .invalid(let reason):
            return "spill payload invalid: \(reason)"
        }
    }
}
