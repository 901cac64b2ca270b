import Crypto
import Testing
@testable import ArchI386
@testable import ArchX86_64

/// The generated files hold only base64 text; KexecCore's `Base64` decodes it.
/// The decoded objects must be the ones the generator hashed and measured.
@Suite("Embedded x86 purgatory objects")
struct PurgatoryEmbeddingTests {
    @Test func decodedObjectsMatchTheGeneratorsDigestAndLength() {
        let objects: [(String, [UInt8], Int, String)] = [
            ("x86_64", PurgatoryObjectX86_64.bytes, PurgatoryObjectX86_64.byteCount, PurgatoryObjectX86_64.sha256),
            ("i386", PurgatoryObjectI386.bytes, PurgatoryObjectI386.byteCount, PurgatoryObjectI386.sha256),
        ]
        for (arch, bytes, byteCount, sha256) in objects {
            #expect(bytes.count == byteCount, "\(arch)")
            let digest = SHA256.hash(data: bytes).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
            #expect(digest == sha256, "\(arch)")
        }
    }
}
