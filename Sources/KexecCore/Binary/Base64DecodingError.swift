/// Text that is not strict standard base64 (RFC 4648 section 4). Offsets count
/// UTF-8 bytes from the start of the text.
package enum Base64DecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The byte at `offset` is neither in the base64 alphabet, nor `=`, nor
    /// whitespace (a non-ASCII character reports its first UTF-8 byte).
    case invalidCharacter(UInt8, offset: Int)
    /// The symbol at `offset` is an `=` that does not complete the last group
    /// (in the first two positions of a group, or after a padded group), or a
    /// data symbol that follows an `=`.
    case misplacedPadding(offset: Int)
    /// The last data symbol, at `offset`, carries nonzero bits that a padded
    /// group must leave zero (the text is not the canonical encoding).
    case nonzeroPadBits(offset: Int)
    /// `symbols` (padding included) is not a multiple of 4: the last group is incomplete.
    case incompleteGroup(symbols: Int)

    package var description: String {
        switch self {
        case .invalidCharacter(let byte, let offset):
            "byte 0x\(String(byte, radix: 16)) at offset \(offset) is not a base64 character"
        case .misplacedPadding(let offset):
            "misplaced padding at offset \(offset): '=' may only complete the last group of four"
        case .nonzeroPadBits(let offset):
            "the symbol at offset \(offset) has nonzero pad bits before '='"
        case .incompleteGroup(let symbols):
            "\(symbols) base64 symbols are not a multiple of 4: the last group is incomplete"
        }
    }
}
