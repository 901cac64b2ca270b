/// Standard base64 (RFC 4648 section 4) to bytes, strictly: the alphabet
/// `A-Z a-z 0-9 + /`, `=` padding only to complete the last four-symbol group,
/// and zero pad bits. Spaces, tabs and line breaks (`\n`, `\r`) between symbols
/// are skipped, so wrapped text decodes.
///
/// It exists for the purgatory objects that `Scripts/generate-purgatory.sh`
/// embeds in Swift source as base64 text (`PurgatoryObject*.bytes`): the
/// generated files carry only the data and call ``decodeEmbedded(_:)``.
package enum Base64 {
    /// Decodes `text`.
    ///
    /// - Parameter text: base64 symbols, optionally padded and wrapped.
    /// - Returns: the decoded bytes (empty for empty or all-whitespace text).
    /// - Throws: ``Base64DecodingError`` naming the UTF-8 byte offset of the
    ///   first character that is not base64, a misplaced `=`, or nonzero pad
    ///   bits; or the symbol count when the last group is incomplete.
    package static func decode(_ text: String) throws(Base64DecodingError) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(text.utf8.count / 4 * 3)
        var group: UInt32 = 0        // the symbols of the current group, 6 bits each
        var groupCount = 0           // symbols (padding included) in the current group
        var padding = 0              // `=` seen; once nonzero, only `=` may complete the group
        var finished = false         // a padded group has been completed: nothing may follow
        var symbols = 0              // all symbols, padding included
        var lastDataOffset = 0       // offset of the last non-padding symbol
        for (offset, character) in text.utf8.enumerated() {
            let value: UInt32
            switch character {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                continue
            case UInt8(ascii: "="):
                // Padding fills positions 2 and 3, or 3 alone, of the last group.
                guard !finished, groupCount >= 2 else { throw .misplacedPadding(offset: offset) }
                padding += 1
                value = 0
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(character - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(character - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(character - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            default:
                throw .invalidCharacter(character, offset: offset)
            }
            if character != UInt8(ascii: "=") {
                // A data symbol after `=` (in the same group or a later one).
                guard padding == 0 else { throw .misplacedPadding(offset: offset) }
                lastDataOffset = offset
            }
            group = (group << 6) | value
            groupCount += 1
            symbols += 1
            if groupCount == 4 {
                // 24 bits; `padding` symbols at the end stand for missing bytes,
                // whose bits (and the pad bits before them) must be zero.
                let emitted = 3 - padding
                if padding > 0 {
                    guard group & ((1 << (8 * UInt32(padding))) - 1) == 0 else {
                        throw .nonzeroPadBits(offset: lastDataOffset)
                    }
                    finished = true
                }
                for index in 0..<emitted {
                    result.append(UInt8(truncatingIfNeeded: group >> (16 - 8 * UInt32(index))))
                }
                group = 0
                groupCount = 0
            }
        }
        guard groupCount == 0 else { throw .incompleteGroup(symbols: symbols) }
        return result
    }

    /// Decodes base64 text that a generator wrote into the source (the embedded
    /// purgatory objects), where invalid text is a defect of the build, not an input.
    ///
    /// - Parameter text: base64 as ``decode(_:)`` accepts it.
    /// - Returns: the decoded bytes.
    /// - Precondition: `text` decodes. Otherwise this traps with the
    ///   ``Base64DecodingError``: the generated file was edited by hand or
    ///   damaged; run `Scripts/generate-purgatory.sh` again.
    package static func decodeEmbedded(_ text: String) -> [UInt8] {
        do {
            return try decode(text)
        } catch {
            preconditionFailure("embedded base64 does not decode: \(error); run Scripts/generate-purgatory.sh")
        }
    }
}
