/// The i386 general registers of a `NT_PRSTATUS` note: `pr_reg`, which is
/// `struct user_regs_struct` of arch/x86/include/asm/user_32.h (17 32-bit words,
/// in this order).
public struct I386Registers: Hashable, Sendable {
    public var ebx: UInt32 = 0
    public var ecx: UInt32 = 0
    public var edx: UInt32 = 0
    public var esi: UInt32 = 0
    public var edi: UInt32 = 0
    public var ebp: UInt32 = 0
    public var eax: UInt32 = 0
    public var ds: UInt32 = 0
    public var es: UInt32 = 0
    public var fs: UInt32 = 0
    public var gs: UInt32 = 0
    /// The system call number or the negated interrupt vector.
    public var origEax: UInt32 = 0
    public var eip: UInt32 = 0
    public var cs: UInt32 = 0
    public var eflags: UInt32 = 0
    public var esp: UInt32 = 0
    public var ss: UInt32 = 0

    /// All registers zero.
    public init() {}

    /// The registers' names in `pr_reg` order.
    public static let names = [
        "ebx", "ecx", "edx", "esi", "edi", "ebp", "eax", "ds", "es", "fs", "gs",
        "orig_eax", "eip", "cs", "eflags", "esp", "ss",
    ]

    /// The values in `pr_reg` order.
    public var values: [UInt32] {
        [ebx, ecx, edx, esi, edi, ebp, eax, ds, es, fs, gs, origEax, eip, cs, eflags, esp, ss]
    }

    /// Registers from `pr_reg` words; `words` must hold ``names``.count values.
    init(words: [UInt64]) {
        var next = words.makeIterator()
        func take() -> UInt32 { UInt32(truncatingIfNeeded: next.next() ?? 0) }
        ebx = take(); ecx = take(); edx = take(); esi = take(); edi = take(); ebp = take()
        eax = take(); ds = take(); es = take(); fs = take(); gs = take(); origEax = take()
        eip = take(); cs = take(); eflags = take(); esp = take(); ss = take()
    }
}
