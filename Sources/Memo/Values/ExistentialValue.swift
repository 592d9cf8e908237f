/// Reads the value inside an `any Spillable` as its known concrete type, where it lies:
/// what a memory hit does with the value it finds.
///
/// The alternatives cost a hit more than the rest of its lookup: `as!` is the runtime's
/// general cast, and opening the existential (``unbox(_:as:)``) runs an unspecialized
/// generic function that copies the value through its value witnesses. Here the
/// existential is read by the layout the compiler itself emits to project one (Swift's
/// ABI, `docs/ABI/TypeLayout.rst`, "Existential Container Layout"): three words of inline
/// buffer, then the type's metadata, then the witness table. A value that does not fit
/// the buffer, says its type's value-witness flags, lives in a heap box whose address is
/// the buffer's first word, after the box's two-word header rounded up to the value's
/// alignment. `ExistentialValueTests` checks this against `as!` for values held inline,
/// boxed, over-aligned, reference-counted and of every standard shape.
@usableFromInline
enum ExistentialValue {
    /// The value `existential` holds, which must be of type `Value` (its metadata is
    /// checked; any other type goes through ``unbox(_:as:)``).
    @inlinable @inline(__always)
    static func load<Value>(_ existential: UnsafePointer<any Spillable>, as _: Value.Type) -> Value
    {
        let word = MemoryLayout<UnsafeRawPointer>.size
        let container = UnsafeRawPointer(existential)
        let metadata = container.load(fromByteOffset: 3 * word, as: UnsafeRawPointer.self)
        guard metadata == unsafeBitCast(Value.self as Any.Type, to: UnsafeRawPointer.self) else {
            return unbox(existential.pointee, as: Value.self)
        }
        // The value witness table sits just before the metadata; its flags follow eight
        // functions, the size and the stride.
        let witnesses = metadata.load(fromByteOffset: -word, as: UnsafeRawPointer.self)
        let flags = witnesses.load(fromByteOffset: 10 * word, as: UInt32.self)
        let isNotInline: UInt32 = 0x0002_0000
        guard flags & isNotInline != 0 else { return container.load(as: Value.self) }
        let alignmentMask = Int(flags & 0xFF)
        let box = container.load(as: UnsafeRawPointer.self)
        return box.load(fromByteOffset: (2 * word + alignmentMask) & ~alignmentMask, as: Value.self)
    }

    /// The type `value` is held as: the type the existential was made from. For an
    /// instance of a subclass that is the class it was returned as (`Shape`), where
    /// `type(of:)` gives the subclass (`Square`); a cache that recorded the latter would
    /// never find the value when asked for a `Shape`, and a memoized function returning
    /// `Shape` would compute on every call.
    static func heldType(of value: any Spillable) -> any Spillable.Type {
        func open<Value: Spillable>(_: Value) -> any Spillable.Type { Value.self }
        return open(value)
    }
}
