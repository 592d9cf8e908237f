/// A string is its tag, its UTF-8 length and its UTF-8 bytes. Strings are not normalized:
/// "é" precomposed and decomposed are different keys, as their bytes differ.
extension String: StableHashable {
    public func stableHash(into hasher: inout StableHasher) {
        var copy = self
        copy.withUTF8 { utf8 in
            hasher.write(tag: .string)
            hasher.write(length: utf8.count)
            hasher.write(bytes: UnsafeRawBufferPointer(utf8))
        }
    }
}

extension Substring: StableHashable {
    public func stableHash(into hasher: inout StableHasher) {
        var copy = self
        copy.withUTF8 { utf8 in
            hasher.write(tag: .substring)
            hasher.write(length: utf8.count)
            hasher.write(bytes: UnsafeRawBufferPointer(utf8))
        }
    }
}
