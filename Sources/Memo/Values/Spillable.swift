/// A value the cache can hold in memory and move to disk and back.
///
/// Conformances ship for `Bool`, every integer and floating-point type, `String`,
/// `[UInt8]`, and `Array`, `ContiguousArray`, `Optional`, `Dictionary` and `Set` of
/// spillable elements. Arrays of numbers spill and reload as one block of memory. A type
/// that is `Codable` gets a default conformance from its declaration alone:
///
/// ```swift
/// struct Peak: Codable, Spillable { var frequency: Double, power: Double }
/// ```
public protocol Spillable: Sendable {
    /// The bytes this value occupies in memory, counted against `maxMemory`.
    ///
    /// An estimate is fine; it should grow with the value's real footprint (for an array,
    /// its element storage), because the budget is only as honest as these figures.
    var memoryCost: Int { get }

    /// Writes the value into a spill file's payload.
    func spill(into writer: inout SpillWriter) throws

    /// Reads back a value written by ``spill(into:)``.
    ///
    /// Throw ``SpillDecodingError`` (the reader's own methods do) when the bytes do not
    /// describe a value; the cache then treats the file as corrupt: a miss, never a crash.
    init(unspilling reader: inout SpillReader) throws
}
