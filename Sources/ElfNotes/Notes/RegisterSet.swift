public import KexecCore

/// One register with its name, for printing a whole set generically.
public struct NamedRegister: Hashable, Sendable {
    /// The name the kernel's register struct gives it ("rip", "eip", "r1", "nip").
    public var name: String
    /// The value, zero-extended to 64 bits.
    public var value: UInt64
}

/// The general registers of one CPU, typed per architecture, from `pr_reg` of a
/// `NT_PRSTATUS` note.
public enum RegisterSet: Hashable, Sendable {
    case x86_64(X86_64Registers)
    case i386(I386Registers)
    /// 64-bit PowerPC (either byte order).
    case ppc64(PowerPCRegisters)
    /// 32-bit PowerPC.
    case ppc32(PowerPCRegisters)

    /// The architecture whose layout this set has (ppc64 is reported big-endian;
    /// the byte order of a note comes from its core file).
    public var architecture: KexecArchitecture {
        switch self {
        case .x86_64: .x86_64
        case .i386: .i386
        case .ppc64: .ppc64
        case .ppc32: .ppc
        }
    }

    /// The instruction pointer: rip, eip or nip.
    public var instructionPointer: UInt64 {
        switch self {
        case .x86_64(let registers): registers.rip
        case .i386(let registers): UInt64(registers.eip)
        case .ppc64(let registers), .ppc32(let registers): registers.nip
        }
    }

    /// The stack pointer: rsp, esp, or r1 on PowerPC.
    public var stackPointer: UInt64 {
        switch self {
        case .x86_64(let registers): registers.rsp
        case .i386(let registers): UInt64(registers.esp)
        case .ppc64(let registers), .ppc32(let registers): registers.gpr.count > 1 ? registers.gpr[1] : 0
        }
    }

    /// The name of the stack pointer register ("rsp", "esp", "r1").
    public var stackPointerName: String {
        switch self {
        case .x86_64: "rsp"
        case .i386: "esp"
        case .ppc64, .ppc32: "r1"
        }
    }

    /// The name of the instruction pointer register ("rip", "eip", "nip").
    public var instructionPointerName: String {
        switch self {
        case .x86_64: "rip"
        case .i386: "eip"
        case .ppc64, .ppc32: "nip"
        }
    }

    /// The width of each register in bytes (8 or 4).
    public var wordSize: Int {
        switch self {
        case .x86_64, .ppc64: 8
        case .i386, .ppc32: 4
        }
    }

    /// Every named register in `pr_reg` order (PowerPC's four reserved slots left out).
    public var all: [NamedRegister] {
        switch self {
        case .x86_64(let registers):
            zip(X86_64Registers.names, registers.values).map { NamedRegister(name: $0, value: $1) }
        case .i386(let registers):
            zip(I386Registers.names, registers.values).map { NamedRegister(name: $0, value: UInt64($1)) }
        case .ppc64(let registers):
            zip(PowerPCRegisters.names, registers.words).map { NamedRegister(name: $0, value: $1) }
        case .ppc32(let registers):
            zip(PowerPCRegisters.names, registers.words).map {
                NamedRegister(name: $0 == "softe" ? "mq" : $0, value: $1)
            }
        }
    }

    /// The `pr_reg` words, zero-extended to 64 bits.
    var words: [UInt64] {
        switch self {
        case .x86_64(let registers): registers.values
        case .i386(let registers): registers.values.map(UInt64.init)
        case .ppc64(let registers), .ppc32(let registers): registers.words
        }
    }
}
