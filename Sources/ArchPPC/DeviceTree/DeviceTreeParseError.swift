/// A blob that is not a well-formed flattened device tree: which field or token,
/// at which byte offset, and why.
public struct DeviceTreeParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong.
    public enum Reason: Hashable, Sendable {
        /// `needed` bytes were needed at the offset but only `available` remain.
        case truncated(needed: Int, available: Int)
        /// The first word is not `0xd00dfeed`.
        case badMagic(UInt32)
        /// A version this parser cannot read (it reads 16 and 17, and later
        /// versions that declare themselves compatible with 17 or earlier).
        case unsupportedVersion(version: UInt32, lastCompatible: UInt32)
        /// `totalsize` claims more bytes than the data holds.
        case totalSizeExceedsData(totalSize: UInt32, available: Int)
        /// `totalsize` is larger than the parser's limit.
        case totalSizeTooLarge(totalSize: UInt32, limit: Int)
        /// `totalsize` is smaller than the header.
        case totalSizeTooSmall(totalSize: UInt32, headerSize: Int)
        /// A block `[start, start + size)` does not lie inside `[header end, totalsize)`.
        case blockOutOfBounds(start: UInt64, size: UInt64, totalSize: UInt32)
        /// Two blocks share bytes; `other` names the second.
        case blocksOverlap(other: String)
        /// An offset that must be a multiple of `alignment`.
        case misaligned(value: UInt64, alignment: Int)
        /// The reservation map has no terminating entry before the next block or the end.
        case reservationMapUnterminated
        /// A reservation whose end passes the top of the 64-bit address space.
        case reservationOverflow(address: UInt64, size: UInt64)
        /// More reservation entries than the parser's limit.
        case tooManyReservations(limit: Int)
        /// A property length that runs past the structure block (or wraps).
        case propertyLengthOutOfBounds(length: UInt32, available: Int)
        /// A property name offset outside the strings block.
        case nameOffsetOutOfBounds(nameOffset: UInt32, stringsSize: UInt32)
        /// A node or property name with no NUL before the end of its block.
        case unterminatedName
        /// A node or property name longer than the parser's limit.
        case nameTooLong(limit: Int)
        /// A node or property name that is empty where it may not be, or holds
        /// bytes outside printable ASCII, space or `/`.
        case invalidName(String)
        /// A token that is not BEGIN_NODE, END_NODE, PROP, NOP or END.
        case invalidToken(UInt32)
        /// A token that may not appear here; `expected` says what could.
        case unexpectedToken(DeviceTreeTokenName, expected: String)
        /// A property after the first child node of the same node.
        case propertyAfterSubnode(node: String)
        /// Two properties, or two children, of one node with the same name.
        case duplicateName(node: String, name: String)
        /// Nodes nested deeper than the parser's limit.
        case nestingTooDeep(limit: Int)
        /// More tokens than the parser's limit.
        case tooManyTokens(limit: Int)
        /// The structure block ends (or FDT_END comes) with `open` nodes unclosed.
        case unclosedNodes(open: Int)
        /// The structure block ends without FDT_END.
        case missingEnd
    }

    /// The header field, block or token ("totalsize", "FDT_PROP length", "strings block").
    public var field: String
    /// The byte offset in the blob where it was found.
    public var offset: Int
    /// Why it was refused.
    public var reason: Reason

    /// An error about `field` at `offset`.
    public init(field: String, offset: Int, reason: Reason) {
        self.field = field
        self.offset = offset
        self.reason = reason
    }

    public var description: String {
        let what: String
        switch reason {
        case .truncated(let needed, let available): what = "needs \(needed) bytes, only \(available) remain"
        case .badMagic(let value): what = "is 0x\(hex(value)), not the FDT magic 0xd00dfeed"
        case .unsupportedVersion(let version, let last):
            what = "is version \(version) (compatible back to \(last)); only 16 and 17 can be read"
        case .totalSizeExceedsData(let total, let available): what = "is \(total) bytes but only \(available) bytes were given"
        case .totalSizeTooLarge(let total, let limit): what = "is \(total) bytes, larger than the limit of \(limit)"
        case .totalSizeTooSmall(let total, let header): what = "is \(total) bytes, smaller than the \(header)-byte header"
        case .blockOutOfBounds(let start, let size, let total):
            what = "spans [0x\(hex(start)), +0x\(hex(size))), outside the header end ... totalsize 0x\(hex(UInt64(total)))"
        case .blocksOverlap(let other): what = "overlaps the \(other)"
        case .misaligned(let value, let alignment): what = "is 0x\(hex(value)), not a multiple of \(alignment)"
        case .reservationMapUnterminated: what = "has no terminating (0, 0) entry before the next block"
        case .reservationOverflow(let address, let size):
            what = "reserves 0x\(hex(address)) + 0x\(hex(size)), past the top of the 64-bit address space"
        case .tooManyReservations(let limit): what = "has more than \(limit) entries"
        case .propertyLengthOutOfBounds(let length, let available):
            what = "is \(length) bytes but only \(available) remain in the structure block"
        case .nameOffsetOutOfBounds(let nameOffset, let size):
            what = "is \(nameOffset), outside the \(size)-byte strings block"
        case .unterminatedName: what = "has no terminating NUL before the end of its block"
        case .nameTooLong(let limit): what = "is longer than \(limit) bytes"
        case .invalidName(let name): what = "\"\(name)\" is not a valid name"
        case .invalidToken(let value): what = "is 0x\(hex(value)), not a structure block token"
        case .unexpectedToken(let token, let expected): what = "is \(token.rawValue) where \(expected) must come"
        case .propertyAfterSubnode(let node): what = "follows a child node of \(node)"
        case .duplicateName(let node, let name): what = "repeats the name \"\(name)\" in \(node)"
        case .nestingTooDeep(let limit): what = "nests nodes deeper than \(limit)"
        case .tooManyTokens(let limit): what = "holds more than \(limit) tokens"
        case .unclosedNodes(let open): what = "ends with \(open) node\(open == 1 ? "" : "s") still open"
        case .missingEnd: what = "ends without FDT_END"
        }
        return "device tree blob: \(field) at byte offset \(offset) \(what)"
    }
}

/// The names of the structure block tokens, for errors.
public enum DeviceTreeTokenName: String, Hashable, Sendable {
    case beginNode = "FDT_BEGIN_NODE"
    case endNode = "FDT_END_NODE"
    case property = "FDT_PROP"
    case nop = "FDT_NOP"
    case end = "FDT_END"
}

private func hex<T: BinaryInteger>(_ value: T) -> String { String(value, radix: 16) }
