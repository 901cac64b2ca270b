/// The x86_64 general registers of a `NT_PRSTATUS` note: `pr_reg`, which is
/// `struct user_regs_struct` of arch/x86/include/asm/user_64.h (27 64-bit words,
/// in this order).
public struct X86_64Registers: Hashable, Sendable {
    public var r15: UInt64 = 0
    public var r14: UInt64 = 0
    public var r13: UInt64 = 0
    public var r12: UInt64 = 0
    public var rbp: UInt64 = 0
    public var rbx: UInt64 = 0
    public var r11: UInt64 = 0
    public var r10: UInt64 = 0
    public var r9: UInt64 = 0
    public var r8: UInt64 = 0
    public var rax: UInt64 = 0
    public var rcx: UInt64 = 0
    public var rdx: UInt64 = 0
    public var rsi: UInt64 = 0
    public var rdi: UInt64 = 0
    /// The system call number or the negated interrupt vector.
    public var origRax: UInt64 = 0
    public var rip: UInt64 = 0
    public var cs: UInt64 = 0
    public var eflags: UInt64 = 0
    public var rsp: UInt64 = 0
    public var ss: UInt64 = 0
    public var fsBase: UInt64 = 0
    public var gsBase: UInt64 = 0
    public var ds: UInt64 = 0
    public var es: UInt64 = 0
    public var fs: UInt64 = 0
    public var gs: UInt64 = 0

    /// All registers zero.
    public init() {}

    /// The registers' names in `pr_reg` order, as the kernel's user_regs_struct
    /// spells them with the `r`/`e` prefixes gdb and crash print.
    public static let names = [
        "r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx", "rdx", "rsi", "rdi",
        "orig_rax", "rip", "cs", "eflags", "rsp", "ss", "fs_base", "gs_base", "ds", "es", "fs", "gs",
    ]

    /// The values in `pr_reg` order.
    public var values: [UInt64] {
        [r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi,
         origRax, rip, cs, eflags, rsp, ss, fsBase, gsBase, ds, es, fs, gs]
    }

    /// Registers from `pr_reg` words; `words` must hold ``names``.count values.
    init(words: [UInt64]) {
        var next = words.makeIterator()
        func take() -> UInt64 { next.next() ?? 0 }
        r15 = take(); r14 = take(); r13 = take(); r12 = take(); rbp = take(); rbx = take()
        r11 = take(); r10 = take(); r9 = take(); r8 = take(); rax = take(); rcx = take()
        rdx = take(); rsi = take(); rdi = take(); origRax = take(); rip = take(); cs = take()
        eflags = take(); rsp = take(); ss = take(); fsBase = take(); gsBase = take()
        ds = take(); es = take(); fs = take(); gs = take()
    }
}
