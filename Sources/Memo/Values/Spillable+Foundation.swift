#if canImport(FoundationEssentials)
    public import FoundationEssentials
#else
    public import Foundation
#endif

// Foundation's everyday types spill in compact payloads of their own, not through their
// Codable conformances.

extension Date: Spillable {
    /// The date's inline size.
    public var memoryCost: Int { MemoryLayout<Date>.size }
    /// Writes the time interval since the reference date, as a `Double`'s bits.
    public func spill(into writer: inout SpillWriter) throws {
        writer.write(timeIntervalSinceReferenceDate)
    }
    /// Reads the time interval back.
    public init(unspilling reader: inout SpillReader) throws {
        self.init(timeIntervalSinceReferenceDate: try reader.read(Double.self))
    }
}

extension UUID: Spillable {
    /// The UUID's 16 bytes.
    public var memoryCost: Int { MemoryLayout<UUID>.size }
    /// Writes the 16 bytes in their order.
    public func spill(into writer: inout SpillWriter) throws {
        withUnsafeBytes(of: uuid) { writer.writeBytes($0) }
    }
    /// Reads the 16 bytes back.
    public init(unspilling reader: inout SpillReader) throws {
        let bytes = try reader.readBytes(count: 16)
        var raw: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &raw) { $0.copyBytes(from: bytes) }
        self.init(uuid: raw)
    }
}

extension URL: Spillable {
    /// The inline size and the strings' storage.
    public var memoryCost: Int {
        MemoryLayout<URL>.size + heapHeaderCost + relativeString.utf8.count
            + (baseURL?.absoluteString.utf8.count ?? 0)
    }
    /// Writes the relative string, then the base URL's absolute string as an optional: the
    /// URL reloads equal to itself, base included.
    public func spill(into writer: inout SpillWriter) throws {
        writer.write(relativeString)
        try baseURL.map(\.absoluteString).spill(into: &writer)
    }
    /// Reads the strings back; a string that is not a URL is corrupt.
    public init(unspilling reader: inout SpillReader) throws {
        let relative = try reader.read(String.self)
        let base = try String?(unspilling: &reader)
        let baseURL = try base.map { text in
            guard let url = URL(string: text) else {
                throw SpillDecodingError.invalid("a base URL payload is not a URL: \(text)")
            }
            return url
        }
        guard let url = URL(string: relative, relativeTo: baseURL) else {
            throw SpillDecodingError.invalid("a URL payload is not a URL: \(relative)")
        }
        self = url
    }
}

extension Data: Spillable {
    /// The bytes and the storage's header.
    public var memoryCost: Int { MemoryLayout<Data>.size + heapHeaderCost + count }
    /// Writes the payload of the `[UInt8]` of the same bytes: a count, then the bytes in
    /// one block, written to the file from the data's own memory when it is large.
    public func spill(into writer: inout SpillWriter) throws {
        writer.writeBlock(SpillDataBlock(self))
    }
    /// Reads the bytes back with one copy.
    public init(unspilling reader: inout SpillReader) throws {
        let count = try reader.readCount()
        self = try reader.withBytes(count: count) { Data($0) }
    }
}

/// The memory of a `Data`, kept alive and read in place.
struct SpillDataBlock: SpillRawBlock {
    let data: Data
    init(_ data: Data) { self.data = data }
    var byteCount: Int { data.count }
    func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try data.withUnsafeBytes(body)
    }
}

extension Decimal: Spillable {
    /// The decimal's inline size.
    public var memoryCost: Int { MemoryLayout<Decimal>.size }
    /// Writes the decimal string, which holds every digit: it reloads equal.
    public func spill(into writer: inout SpillWriter) throws {
        writer.write(description)
    }
    /// Reads the decimal string back; one that is not a decimal is corrupt.
    public init(unspilling reader: inout SpillReader) throws {
        let text = try reader.read(String.self)
        if text == "NaN" {
            self = .nan
            return
        }
        guard let value = Decimal(string: text) else {
            throw SpillDecodingError.invalid("a Decimal payload is not a decimal: \(text)")
        }
        self = value
    }
}
