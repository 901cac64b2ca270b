/// A CPU architecture the suite loads kernels for, with the numbers the kexec
/// interface uses for it.
public enum KexecArchitecture: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case x86_64
    case i386
    /// 64-bit PowerPC, big-endian.
    case ppc64
    /// 64-bit PowerPC, little-endian (Debian ppc64el).
    case ppc64le
    /// 32-bit PowerPC.
    case ppc

    /// The ELF `e_machine` value (EM_X86_64 62, EM_386 3, EM_PPC64 21, EM_PPC 20).
    public var elfMachine: UInt16 {
        switch self {
        case .x86_64: 62
        case .i386: 3
        case .ppc64, .ppc64le: 21
        case .ppc: 20
        }
    }

    /// The `KEXEC_ARCH_*` value for the high 16 bits of `kexec_load`'s flags:
    /// the ELF machine shifted left by 16.
    public var kexecArchFlag: UInt64 { UInt64(elfMachine) << 16 }

    /// Whether the architecture has 64-bit pointers.
    public var is64Bit: Bool {
        switch self {
        case .x86_64, .ppc64, .ppc64le: true
        case .i386, .ppc: false
        }
    }

    /// The byte order of its memory.
    public var byteOrder: ByteOrder {
        switch self {
        case .x86_64, .i386, .ppc64le: .little
        case .ppc64, .ppc: .big
        }
    }

    /// The layout of `struct kexec_segment` a process of this architecture passes.
    public var segmentLayout: KexecSegmentLayout {
        is64Bit ? .native64(byteOrder) : .compat32(byteOrder)
    }

    /// System call numbers (kexec_load, kexec_file_load, reboot); kexec_file_load
    /// is `nil` where the architecture does not have it.
    public var syscallNumbers: (kexecLoad: Int, kexecFileLoad: Int?, reboot: Int) {
        switch self {
        case .x86_64: (246, 320, 169)
        case .i386: (283, nil, 88)
        case .ppc64, .ppc64le: (268, 382, 88)
        case .ppc: (268, nil, 88)
        }
    }

    /// The page size a Debian kernel of this architecture uses by default.
    public var defaultPageSize: PageSize {
        switch self {
        case .ppc64, .ppc64le: .kib64
        default: .kib4
        }
    }

    /// `KEXEC_DESTINATION_MEMORY_LIMIT`: segments must end below it. x86_64 uses
    /// MAXMEM - 1 with 4-level paging (2^46 - 1); i386 and PowerPC use -1UL of their
    /// word size.
    public var destinationMemoryLimit: UInt64 {
        switch self {
        case .x86_64: (1 << 46) - 1
        case .i386, .ppc: UInt64(UInt32.max)
        case .ppc64, .ppc64le: UInt64.max
        }
    }

    /// The architecture of this process.
    public static var host: KexecArchitecture? {
        #if arch(x86_64)
        return .x86_64
        #elseif arch(i386)
        return .i386
        #elseif arch(powerpc64le)
        return .ppc64le
        #elseif arch(powerpc64)
        return .ppc64
        #else
        return nil
        #endif
    }

    public var description: String { rawValue }
}
