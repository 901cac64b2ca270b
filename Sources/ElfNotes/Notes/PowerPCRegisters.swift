/// The PowerPC general registers of a `NT_PRSTATUS` note: `pr_reg`, an
/// `elf_gregset_t` of `ELF_NGREG` = 48 words (arch/powerpc/include/uapi/asm/elf.h)
/// whose first 44 are `struct pt_regs` (arch/powerpc/include/uapi/asm/ptrace.h:
/// gpr[32] nip msr orig_gpr3 ctr link xer ccr softe|mq trap dar dsisr result).
///
/// The same type serves ppc64 (64-bit words) and ppc32 (32-bit words, held
/// zero-extended); the ``RegisterSet`` case says which.
public struct PowerPCRegisters: Hashable, Sendable {
    /// r0 ... r31. Always 32 entries when decoded; encoding pads or cuts to 32.
    public var gpr: [UInt64] = Array(repeating: 0, count: 32)
    /// The next instruction address.
    public var nip: UInt64 = 0
    public var msr: UInt64 = 0
    /// r3 at system call entry, for restarting system calls.
    public var origGpr3: UInt64 = 0
    public var ctr: UInt64 = 0
    /// The link register.
    public var link: UInt64 = 0
    public var xer: UInt64 = 0
    public var ccr: UInt64 = 0
    /// `softe` (soft-enabled interrupts) on ppc64, `mq` on ppc32.
    public var softe: UInt64 = 0
    /// The exception vector that brought the CPU into the kernel.
    public var trap: UInt64 = 0
    /// The data address register.
    public var dar: UInt64 = 0
    public var dsisr: UInt64 = 0
    /// The result of a system call.
    public var result: UInt64 = 0
    /// The four slots after `pt_regs` (PT_DSCR at 44 and three unused), kept so
    /// a decoded note encodes back byte for byte.
    public var reserved: [UInt64] = Array(repeating: 0, count: 4)

    /// All registers zero.
    public init() {}

    /// The number of words in `pr_reg` (`ELF_NGREG`).
    public static let wordCount = 48

    /// The names of the 44 `pt_regs` slots, in order (`softe` is `mq` on ppc32).
    public static let names: [String] = (0..<32).map { "r\($0)" }
        + ["nip", "msr", "orig_gpr3", "ctr", "link", "xer", "ccr", "softe", "trap", "dar", "dsisr", "result"]

    /// The 48 `pr_reg` words in order.
    public var words: [UInt64] {
        var words = Array(gpr.prefix(32))
        words += Array(repeating: 0, count: 32 - words.count)
        words += [nip, msr, origGpr3, ctr, link, xer, ccr, softe, trap, dar, dsisr, result]
        words += Array(reserved.prefix(4))
        words += Array(repeating: 0, count: Self.wordCount - words.count)
        return words
    }

    /// Registers from the 48 `pr_reg` words.
    init(words: [UInt64]) {
        func at(_ index: Int) -> UInt64 { index < words.count ? words[index] : 0 }
        gpr = (0..<32).map(at)
        nip = at(32); msr = at(33); origGpr3 = at(34); ctr = at(35); link = at(36); xer = at(37)
        ccr = at(38); softe = at(39); trap = at(40); dar = at(41); dsisr = at(42); result = at(43)
        reserved = (44..<48).map(at)
    }
}
