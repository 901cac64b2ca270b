public import KexecCore

/// One word of the kernel's indirection list (`kimage_entry_t`): a page-aligned
/// physical address with one flag in its low bits, as `kimage_add_entry` writes it
/// and `relocate_kernel` reads it.
///
/// Decoding follows the order in which x86_64 `relocate_kernel` tests the flags:
/// destination, indirection, done, source. A word with none of them is skipped by
/// the copy loop; a zero word also ends the kernel's `for_each_kimage_entry` walk.
public enum IndirectionEntry: Hashable, Sendable, CustomStringConvertible {
    /// `IND_DESTINATION`: the next source page is copied to this page.
    case destination(PhysicalAddress)
    /// `IND_INDIRECTION`: the list continues at the start of this page.
    case indirection(PhysicalAddress)
    /// `IND_DONE`: the list ends.
    case done
    /// `IND_SOURCE`: copy this page to the current destination, then advance the
    /// destination by one page.
    case source(PhysicalAddress)
    /// A word with none of the four flags.
    case other(UInt64)

    /// `IND_DESTINATION` (0x1).
    public static let destinationFlag: UInt64 = 0x1
    /// `IND_INDIRECTION` (0x2).
    public static let indirectionFlag: UInt64 = 0x2
    /// `IND_DONE` (0x4).
    public static let doneFlag: UInt64 = 0x4
    /// `IND_SOURCE` (0x8).
    public static let sourceFlag: UInt64 = 0x8

    /// The size of one entry in bytes: `sizeof(unsigned long)` on a 64-bit kernel.
    public static let byteWidth = 8

    /// Decodes `word` the way the copy loop does, masking the address with the page mask.
    /// - Parameters:
    ///   - word: the raw entry.
    ///   - pageSize: the page size whose mask strips the flag bits.
    public init(word: UInt64, pageSize: PageSize) {
        let address = PhysicalAddress(word & ~pageSize.alignment.mask)
        if word & Self.destinationFlag != 0 {
            self = .destination(address)
        } else if word & Self.indirectionFlag != 0 {
            self = .indirection(address)
        } else if word & Self.doneFlag != 0 {
            self = .done
        } else if word & Self.sourceFlag != 0 {
            self = .source(address)
        } else {
            self = .other(word)
        }
    }

    public var description: String {
        switch self {
        case .destination(let address): "IND_DESTINATION \(address)"
        case .indirection(let address): "IND_INDIRECTION \(address)"
        case .done: "IND_DONE"
        case .source(let address): "IND_SOURCE \(address)"
        case .other(let word): "0x\(String(word, radix: 16)) (no flag)"
        }
    }
}
