import ElfNotes
public import KexecCore

/// The embedded PowerPC purgatory objects (Scripts/generate-purgatory.sh from
/// Purgatory/ppc64 and Purgatory/ppc32), one per running architecture: it must
/// match the running kernel's byte order and word size, since that kernel
/// enters it. Laid out and relocated by ElfNotes' ``RelocatableObject``.
public enum PPCPurgatory {
    /// The relocatable object (ET_REL) for a running `architecture`, or `nil`
    /// when it is not PowerPC.
    public static func objectBytes(for architecture: KexecArchitecture) -> [UInt8]? {
        switch architecture {
        case .ppc64le: PurgatoryObjectPPC64LE.bytes
        case .ppc64: PurgatoryObjectPPC64.bytes
        case .ppc: PurgatoryObjectPPC32.bytes
        case .x86_64, .i386: nil
        }
    }

    /// The entry symbol: the first byte of `.text`, copied to address 0 with the
    /// next 0xfc bytes for the secondary CPUs.
    public static let entrySymbol = "purgatory_start"
}
