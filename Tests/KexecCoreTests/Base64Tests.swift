import Foundation
import KexecTestSupport
import Testing
@testable import KexecCore

/// The strict base64 decoder behind the embedded purgatory objects: RFC 4648's
/// test vectors, Foundation's encoder as an independent reference, and text that
/// must be refused with the offset of the culprit.
@Suite("Base64")
struct Base64Tests {
    /// RFC 4648 section 10.
    @Test(arguments: [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ])
    func rfc4648Vectors(plain: String, encoded: String) throws {
        #expect(try Base64.decode(encoded) == Array(plain.utf8))
    }

    @Test func everyByteValueAndTheWholeAlphabet() throws {
        let all = (0...255).map { UInt8($0) }
        let encoded = Data(all).base64EncodedString()
        #expect(try Base64.decode(encoded) == all)
        #expect(try Base64.decode("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
            == Array(Data(base64Encoded: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")!))
    }

    /// Random lengths 0 ... 300 (every padding case), encoded by Foundation, wrapped
    /// the ways text can be: 64 or 76 columns with LF or CRLF, or the generator's
    /// indented lines.
    @Test func matchesFoundationOnRandomBytes() throws {
        var generator = SeededGenerator(seed: 0xb64)
        for _ in 0..<500 {
            let count = Int.random(in: 0...300, using: &generator)
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let data = Data(bytes)
            for options: Data.Base64EncodingOptions in [
                [], [.lineLength64Characters, .endLineWithLineFeed],
                [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed],
            ] {
                #expect(try Base64.decode(data.base64EncodedString(options: options)) == bytes)
            }
            let indented = data.base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
                .split(separator: "\n").map { "        " + $0 }.joined(separator: "\n") + "\n\t"
            #expect(try Base64.decode(indented) == bytes)
        }
    }

    @Test(arguments: [
        ("Zm9v-YmFy", UInt8(ascii: "-"), 4),   // base64url is not accepted
        ("Zm9v_", UInt8(ascii: "_"), 4),
        ("*", UInt8(ascii: "*"), 0),
        ("Zm9v\0", 0, 4),
        ("Zm9v\u{0B}", 0x0b, 4),                  // vertical tab is not whitespace here
        ("Zmé9", 0xc3, 2),                        // first UTF-8 byte of é
        ("Zm9v.", UInt8(ascii: "."), 4),
    ])
    func refusesCharactersOutsideTheAlphabet(text: String, byte: UInt8, offset: Int) {
        #expect(throws: Base64DecodingError.invalidCharacter(byte, offset: offset)) { try Base64.decode(text) }
    }

    @Test(arguments: [("Z", 1), ("Zm", 2), ("Zm9", 3), ("Zm9vY", 5), ("Zm9vYmF", 7), ("Zg=", 3), ("Zm9v\nYm\n", 6)])
    func refusesAnIncompleteLastGroup(text: String, symbols: Int) {
        #expect(throws: Base64DecodingError.incompleteGroup(symbols: symbols)) { try Base64.decode(text) }
    }

    @Test(arguments: [
        ("=", 0), ("====", 0), ("Z===", 1), ("=Zm9", 0),
        ("Zm9v====", 4),      // a whole group of padding
        ("Zg==Zg==", 4),      // data after a padded group
        ("Zg=a", 3),          // data after '=' in the same group
        ("Zg===", 4),         // a fifth '='
        ("Zm8==", 4),
        ("Zm9vYmFy=", 8),
    ])
    func refusesMisplacedPadding(text: String, offset: Int) {
        #expect(throws: Base64DecodingError.misplacedPadding(offset: offset)) { try Base64.decode(text) }
    }

    /// "Zg==" and "Zm8=" are canonical; the same groups with pad bits set are not.
    @Test(arguments: [("Zh==", 1), ("Zv==", 1), ("Zm9=", 2), ("Zm9vYmF=", 6), ("Zm\n9=", 3)])
    func refusesNonzeroPadBits(text: String, offset: Int) {
        #expect(throws: Base64DecodingError.nonzeroPadBits(offset: offset)) { try Base64.decode(text) }
    }

    @Test func whitespaceAloneIsEmpty() throws {
        #expect(try Base64.decode(" \n\r\t ") == [])
        #expect(try Base64.decode(" Zm9v\r\nYmFy \n") == Array("foobar".utf8))
    }

    @Test func errorsNameTheOffset() {
        #expect(Base64DecodingError.invalidCharacter(0x2a, offset: 7).description == "byte 0x2a at offset 7 is not a base64 character")
        #expect(Base64DecodingError.incompleteGroup(symbols: 5).description.hasPrefix("5 base64 symbols"))
    }

    @Test func embeddedTextDecodes() {
        #expect(Base64.decodeEmbedded("Zm9vYmFy") == Array("foobar".utf8))
    }

    /// The documented precondition: generated text that does not decode traps.
    @Test func embeddedTextThatDoesNotDecodeTraps() async {
        await #expect(processExitsWith: .failure) { _ = Base64.decodeEmbedded("Zm9v*") }
    }
}
