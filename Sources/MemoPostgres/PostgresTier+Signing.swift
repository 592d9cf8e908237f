import Crypto
import Memo
import PostgresNIO

/// How the tier stores keys and signs values: a stored value's signature is an
/// HMAC-SHA256 of its key and payload, so a row moved to another key or altered fails it.
extension PostgresTier {
    /// The key as the tier stores it: 16 bytes, high half first, big-endian.
    static func bytes(_ key: CacheKey) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(key.high, endianness: .big)
        buffer.writeInteger(key.low, endianness: .big)
        return buffer
    }

    static func sign(_ payload: [UInt8], key: CacheKey, signingKey: [UInt8]) -> [UInt8] {
        Array(
            HMAC<SHA256>.authenticationCode(
                for: message(payload, key), using: SymmetricKey(data: signingKey)))
    }

    static func isValid(
        _ signature: [UInt8], of payload: [UInt8], key: CacheKey, signingKey: [UInt8]
    ) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(
            signature, authenticating: message(payload, key), using: SymmetricKey(data: signingKey))
    }

    /// What is signed: the key's 16 bytes, then the payload.
    private static func message(_ payload: [UInt8], _ key: CacheKey) -> [UInt8] {
        Array(bytes(key).readableBytesView) + payload
    }
}
