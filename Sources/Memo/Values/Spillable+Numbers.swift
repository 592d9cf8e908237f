// Explicit members on each type: the integers are also Codable, and explicit members
// keep the Codable default from competing with the one-block number path.

/// Plain numbers: spilled as their little-endian memory, and as one block when in arrays.
@usableFromInline protocol SpillableNumber: Spillable, BitwiseCopyable {}

extension Int: Spillable, SpillableNumber {
    /// The integer's size in memory.
    public var memoryCost: Int { MemoryLayout<Self>.size }
    /// Writes the integer, little-endian.
    public func spill(into writer: inout SpillWriter) throws { writer.write(self) }
    /// Reads the integer back.
    public init(unspilling reader: inout SpillReader) throws { self = try reader.read(Self.self) }
}

extension Int8: Spillable, SpillableNumber {
    /// The integer's size in memory.
    public var memoryCost: Int { MemoryLayout<Self>.size }
    /// Writes the integer, little-endian.
    public func spill(into writer: inout SpillWriter) throws { writer.write(self) }
    /// Reads the integer back.
    public init(unspilling reader: inout SpillReader) throws { self = try reader.read(Self.self) }
}

extension Int16: Spillable, SpillableNumber {
    /// The integer's size in memory.
    public var memoryCost: Int { MemoryLayout<Self>.size }
    /// Writes the integer, little-endian.
    public func spill(into writer: inout SpillWriter) throws { writer.write(self) }
    /// Reads the integer back.
    public init(unspilling reader: inout SpillReader) throws { self = try reader.read(Self.self) }
}

extension Int32: Spillable, SpillableNumber {
    /// The integer's size in memory.
    public var memoryCost: Int { MemoryLayout<Self>.size }
    /// Writes the integer, little-endian.
    public func spill(into writer: inout SpillWriter) throws { writer.write(self) }
    /// Reads the integer back.
    public init(unspilling reader: inout SpillReader) throws { self = try reader.read(Self.self) }
}

extension Int64: Spillable, SpillableNumber {
    /// The integer's size in memory.
    public var memoryCost: Int { MemoryLayout<Self>.size }
    /// Writes the integer, little-endian.
    public func spill(into writer: inout SpillWriter) throws { writer.write(self) }
    /// Reads the integer back.
    public init(unspilling reader: inout SpillReader) throws { self = try reader.read(Self.self) }
}

extension UInt: Spillable, SpillableNumber {
    /// The integer's size in memory.
    public var memoryCost: Int { MemoryLayout<Self>.size }
    /// Writes the integer, little-endian.
    public func spill(into writer: inout SpillWriter) throws { writer.write(self) }
    /// Reads the integer back.
    public init(unspilling reader: inout SpillReader) throws { self = try reader.read(Self.self) }
}

extension UInt8: Spillable, SpillableNumber {
    /// The integer's size in memory.
    public var memoryCost: Int { MemoryLayout<Self>.size }
    /// Writes the integer, little-endian.
    public func spill(into writer: inout SpillWriter) throws { writer.write(self) }
    /// Reads the integer back.
    public init(unspilling reader: inout SpillReader) throws { self = try reader.read(Self.self) }
}

extension UInt16: Spillable, SpillableNumber {
    /// The integer's size in memory.
    public var memoryCost: Int { MemoryLayout<Self>.size }
    /// Writes the integer, little-endian.
    public func spill(into writer: inout SpillWriter) throws { writer.write(self) }
    /// Reads the integer back.
    public init(unspilling reader: inout SpillReader) throws { self = try reader.read(Self.self) }
}

extension UInt32: Spillable, SpillableNumber {
    /// The integer's size in memory.
    public var memoryCost: Int { MemoryLayout<Self>.size }
    /// Writes the integer, little-endian.
    public func spill(into writer: inout SpillWriter) throws { writer.write(self) }
    /// Reads the integer back.
    public init(unspilling reader: inout SpillReader) throws { self = try reader.read(Self.self) }
}

extension UInt64: Spillable, SpillableNumber {
    /// The integer's size in memory.
    public var memoryCost: Int { MemoryLayout<Self>.size }
    /// Writes the integer, little-endian.
    public func spill(into writer: inout SpillWriter) throws { writer.write(self) }
    /// Reads the integer back.
    public init(unspilling reader: inout SpillReader) throws { self = try reader.read(Self.self) }
}

@available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)
extension Int128: Spillable, SpillableNumber {
    /// The integer's size in memory.
    public var memoryCost: Int { MemoryLayout<Self>.size }
    /// Writes the integer, little-endian.
    public func spill(into writer: inout SpillWriter) throws { writer.write(self) }
    /// Reads the integer back.
    public init(unspilling reader: inout SpillReader) throws { self = try reader.read(Self.self) }
}

@available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)
extension UInt128: Spillable, SpillableNumber {
    /// The integer's size in memory.
    public var memoryCost: Int { MemoryLayout<Self>.size }
    /// Writes the integer, little-endian.
    public func spill(into writer: inout SpillWriter) throws { writer.write(self) }
    /// Reads the integer back.
    public init(unspilling reader: inout SpillReader) throws { self = try reader.read(Self.self) }
}

extension Double: Spillable, SpillableNumber {
    /// The value's size in memory.
    public var memoryCost: Int { MemoryLayout<Self>.size }
    /// Writes the bit pattern, so NaN payloads and -0.0 come back unchanged.
    public func spill(into writer: inout SpillWriter) throws { writer.write(self) }
    /// Reads the value back.
    public init(unspilling reader: inout SpillReader) throws { self = try reader.read(Double.self) }
}

extension Float: Spillable, SpillableNumber {
    /// The value's size in memory.
    public var memoryCost: Int { MemoryLayout<Self>.size }
    /// Writes the bit pattern.
    public func spill(into writer: inout SpillWriter) throws { writer.write(self) }
    /// Reads the value back.
    public init(unspilling reader: inout SpillReader) throws { self = try reader.read(Float.self) }
}

extension Bool: Spillable, SpillableNumber {
    /// The value's size in memory.
    public var memoryCost: Int { MemoryLayout<Self>.size }
    /// Writes one byte, 0 or 1.
    public func spill(into writer: inout SpillWriter) throws { writer.write(self) }
    /// Reads the value back.
    public init(unspilling reader: inout SpillReader) throws { self = try reader.read(Bool.self) }
}
