/// One generated step of a property test, decoded from three small integers so that
/// swift-property-based can shrink a failing sequence.
enum ModelOperation: Equatable, CustomStringConvertible {
    case store(key: Int, size: Int)
    case get(key: Int)
    case getOrCompute(key: Int, size: Int)
    case remove(key: Int)
    case removeAll
    case advance(seconds: Int)
    /// The next write (kinds 0–2: ENOSPC, EIO, short write) or rename (kind 3: EROFS)
    /// fails.
    case failNextWrite(kind: Int)
    /// The next read returns corrupted bytes.
    case corruptNextRead
    /// The key's spill file is deleted behind the cache's back.
    case deleteFile(key: Int)
    /// The file system loses everything not synced (a power cut).
    case crash

    /// Value sizes. With the runs' budget of 4 × (100 + overhead) bytes, 880 + overhead is
    /// exactly the budget (it fits, alone), and 900 is over it (it lives on disk only).
    static let sizes = [40, 100, 250, 880, 900]

    init(kind: Int, key: Int, argument: Int) {
        let size = Self.sizes[argument % Self.sizes.count]
        switch kind {
        case 0..<30: self = .store(key: key, size: size)
        case 30..<55: self = .get(key: key)
        case 55..<70: self = .getOrCompute(key: key, size: size)
        case 70..<78: self = .remove(key: key)
        case 78..<80: self = .removeAll
        case 80..<86: self = .advance(seconds: argument * 13)
        case 86..<92: self = .failNextWrite(kind: argument % 4)
        case 92..<95: self = .corruptNextRead
        case 95..<98: self = .deleteFile(key: key)
        default: self = .crash
        }
    }

    var description: String {
        switch self {
        case .store(let key, let size): return "store(\(key), \(size))"
        case .get(let key): return "get(\(key))"
        case .getOrCompute(let key, let size): return "getOrCompute(\(key), \(size))"
        case .remove(let key): return "remove(\(key))"
        case .removeAll: return "removeAll"
        case .advance(let seconds): return "advance(\(seconds)s)"
        case .failNextWrite(let kind): return "failNextWrite(\(kind))"
        case .corruptNextRead: return "corruptNextRead"
        case .deleteFile(let key): return "deleteFile(\(key))"
        case .crash: return "crash"
        }
    }
}
