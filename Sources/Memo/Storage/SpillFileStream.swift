/// A file being read from start to end: what the disk tier decodes spill files from.
///
/// A stream lets a large payload go straight into its final storage (an array of numbers
/// is read into the array's own memory) instead of through an intermediate buffer.
public struct SpillFileStream: ~Copyable {
    /// The file's size when it was opened.
    public let size: Int
    private let readChunk: (UnsafeMutableRawBufferPointer) throws -> Int
    /// Bytes delivered so far.
    public private(set) var position = 0

    /// A stream of `size` bytes; `readChunk` fills a prefix of its buffer and returns how
    /// many bytes it wrote, 0 at the end of the file.
    public init(size: Int, readChunk: @escaping (UnsafeMutableRawBufferPointer) throws -> Int) {
        self.size = size
        self.readChunk = readChunk
    }

    /// A stream over bytes already in memory (a whole file that was read at once).
    public init(bytes: [UInt8]) {
        var offset = 0
        self.init(size: bytes.count) { buffer in
            let count = min(buffer.count, bytes.count - offset)
            bytes.withUnsafeBytes { source in
                buffer.copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: source[offset..<offset + count]))
            }
            offset += count
            return count
        }
    }

    /// Fills `buffer` from the file, and returns how many bytes were read: fewer than
    /// `buffer.count` only at the end of the file.
    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let count = try readChunk(UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            guard count > 0 else { break }
            filled += count
        }
        position += filled
        return filled
    }
}

extension SpillFileSystem {
    /// Reads the file through ``readFile(atPath:)``: the default for file systems that
    /// hold whole files (and for wrappers, whose `readFile` applies their faults).
    public func withFileStream<Result>(
        atPath path: String, _ body: (inout SpillFileStream) throws -> Result
    ) throws -> Result {
        var stream = SpillFileStream(bytes: try readFile(atPath: path))
        return try body(&stream)
    }
}
