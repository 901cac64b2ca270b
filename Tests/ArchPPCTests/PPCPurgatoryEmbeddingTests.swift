import Crypto
import Testing
@testable import ArchPPC

/// The generated files hold only base64 text; KexecCore's `Base64` decodes it.
/// The decoded objects must be the ones the generator hashed and measured.
@Suite("Embedded PowerPC purgatory objects")
struct PPCPurgatoryEmbeddingTests {
    @Test func decodedObjectsMatchTheGeneratorsDigestAndLength() {
        let objects: [(String, [UInt8], Int, String)] = [
            ("ppc64le", PurgatoryObjectPPC64LE.bytes, PurgatoryObjectPPC64LE.byteCount, PurgatoryObjectPPC64LE.sha256),
            ("ppc64", PurgatoryObjectPPC64.bytes, PurgatoryObjectPPC64.byteCount, PurgatoryObjectPPC64.sha256),
            ("ppc32", PurgatoryObjectPPC32.bytes, PurgatoryObjectPPC32.byteCount, PurgatoryObjectPPC32.sha256),
        ]
        for (arch, bytes, byteCount, sha256) in objects {
            #expect(bytes.count == byteCount, "\(arch)")
            let digest = SHA256.hash(data: bytes).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
            #expect(digest == sha256, "\(arch)")
        }
    }
}
