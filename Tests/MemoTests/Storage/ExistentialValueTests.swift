import Testing

@testable import Memo

/// `ExistentialValue.load` reads an `any Spillable` by the runtime's container layout;
/// these check it against the language's own cast for every way a value can lie in one.
@Suite struct ExistentialValueTests {
    /// Three words: held in the container's inline buffer.
    struct ThreeWords: Codable, Spillable, Equatable {
        var a: Int, b: Int, c: Int
    }

    /// Four words: too large for the buffer, so held in a heap box.
    struct FourWords: Codable, Spillable, Equatable {
        var a: Int, b: Int, c: Int, d: Int
    }

    /// Boxed, with reference-counted fields.
    struct Mixed: Codable, Spillable, Equatable {
        var name: String
        var samples: [Double]
        var count: Int
        var note: String?
    }

    /// Aligned beyond a word: boxed whatever its size, at an aligned offset in the box.
    struct OverAligned: Codable, Spillable, Equatable {
        var wide: SIMD4<Double>
        var tag: Int8
    }

    /// One reference.
    final class Reference: Codable, Spillable {
        let value: Int
        init(_ value: Int) { self.value = value }
    }

    enum Shape: Codable, Spillable, Equatable {
        case point
        case circle(radius: Double)
        case polygon([Int])
    }

    /// `load` of `value` held as `any Spillable`, which must equal the value.
    func roundTrip<Value: Spillable & Equatable>(_ value: Value) -> Value {
        let existential: any Spillable = value
        return withUnsafePointer(to: existential) { ExistentialValue.load($0, as: Value.self) }
    }

    @Test func inlineValues() {
        #expect(roundTrip(42) == 42)
        #expect(roundTrip(-1 as Int8) == -1)
        #expect(roundTrip(true) == true)
        #expect(roundTrip(2.5) == 2.5)
        #expect(roundTrip(ThreeWords(a: 1, b: 2, c: 3)) == ThreeWords(a: 1, b: 2, c: 3))
        #expect(roundTrip(Int?.none) == nil)
        #expect(roundTrip(Int?.some(7)) == 7)
    }

    @Test func referenceCountedInlineValues() {
        let long = String(repeating: "spectrum ", count: 20)
        #expect(roundTrip(long) == long)
        #expect(roundTrip("short") == "short")
        #expect(roundTrip([1, 2, 3]) == [1, 2, 3])
        #expect(roundTrip(["a": 1, "b": 2]) == ["a": 1, "b": 2])
        #expect(roundTrip(Set([3, 4])) == Set([3, 4]))
        #expect(roundTrip(Shape.circle(radius: 2)) == .circle(radius: 2))
        #expect(roundTrip(Shape.polygon([1, 2])) == .polygon([1, 2]))
        #expect(roundTrip(Shape.point) == .point)
    }

    @Test func boxedValues() {
        let four = FourWords(a: 1, b: 2, c: 3, d: 4)
        #expect(roundTrip(four) == four)
        let mixed = Mixed(name: "peak", samples: [1, 2, 3], count: 3, note: "kept")
        #expect(roundTrip(mixed) == mixed)
        let aligned = OverAligned(wide: SIMD4(1, 2, 3, 4), tag: 9)
        #expect(MemoryLayout<OverAligned>.alignment > MemoryLayout<Int>.alignment)
        #expect(roundTrip(aligned) == aligned)
    }

    /// The loaded value is a copy of its own: it keeps its references after the
    /// existential it came from is gone, and holds exactly one of them.
    @Test func loadedReferenceIsRetained() {
        var loaded: Reference?
        do {
            let existential: any Spillable = Reference(5)
            loaded = withUnsafePointer(to: existential) {
                ExistentialValue.load($0, as: Reference.self)
            }
        }
        #expect(loaded?.value == 5)
        #expect(isKnownUniquelyReferenced(&loaded!))
    }

    /// A value of another type than the one asked for goes through the language's cast.
    @Test func otherTypeFallsBackToTheCast() {
        let existential: any Spillable = 5
        let optional = withUnsafePointer(to: existential) {
            ExistentialValue.load($0, as: Int?.self)
        }
        #expect(optional == 5)
    }
}
