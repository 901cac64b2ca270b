public import KexecCore

/// Where the fields of `struct elf_prstatus` (include/uapi/linux/elfcore.h) lie for
/// one architecture. Every offset follows from the word size (`long`) and the
/// number of `pr_reg` words:
///
///     pr_info      0   3 x int (si_signo, si_code, si_errno)
///     pr_cursig   12   short (+2 padding)
///     pr_sigpend  16   long
///     pr_sighold  16+w long
///     pr_pid      16+2w, pr_ppid, pr_pgrp, pr_sid: int each
///     pr_utime .. pr_cstime: 4 x struct timeval (2 longs each)
///     pr_reg      pid+16+8w: n longs
///     pr_fpvalid  int, then padding to a multiple of w
///
/// giving x86_64 (w 8, n 27): pid 32, pr_reg 112, size 336; i386 (4, 17): 24, 72,
/// 144; ppc64 (8, 48): 32, 112, 504; ppc32 (4, 48): 24, 72, 268.
public struct PrStatusLayout: Hashable, Sendable {
    /// `sizeof(long)`: 8 or 4.
    public let wordSize: Int
    /// `ELF_NGREG`: the number of words in `pr_reg`.
    public let registerCount: Int

    /// The layout for `architecture`.
    public init(_ architecture: KexecArchitecture) {
        switch architecture {
        case .x86_64: self.init(wordSize: 8, registerCount: X86_64Registers.names.count)
        case .i386: self.init(wordSize: 4, registerCount: I386Registers.names.count)
        case .ppc64, .ppc64le: self.init(wordSize: 8, registerCount: PowerPCRegisters.wordCount)
        case .ppc: self.init(wordSize: 4, registerCount: PowerPCRegisters.wordCount)
        }
    }

    init(wordSize: Int, registerCount: Int) {
        self.wordSize = wordSize
        self.registerCount = registerCount
    }

    /// `pr_sigpend`.
    public var sigpendOffset: Int { 16 }
    /// `pr_sighold`.
    public var sigholdOffset: Int { 16 + wordSize }
    /// `pr_pid`; `pr_ppid`, `pr_pgrp`, `pr_sid` follow as 4-byte ints.
    public var pidOffset: Int { 16 + 2 * wordSize }
    /// `pr_utime`; `pr_stime`, `pr_cutime`, `pr_cstime` follow, 2 words each.
    public var timesOffset: Int { pidOffset + 16 }
    /// `pr_reg`.
    public var registersOffset: Int { timesOffset + 8 * wordSize }
    /// `pr_fpvalid`.
    public var fpvalidOffset: Int { registersOffset + registerCount * wordSize }
    /// `sizeof(struct elf_prstatus)`: the note's `n_descsz`.
    public var size: Int { (fpvalidOffset + 4 + wordSize - 1) / wordSize * wordSize }
}
