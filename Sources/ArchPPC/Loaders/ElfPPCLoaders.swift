public import KexecCore
import ElfNotes

/// A 64-bit PowerPC ELF kernel (vmlinux, either byte order) on a running ppc64
/// or ppc64le kernel, with the device tree edited for it and the ppc64 purgatory
/// (kexec-tools' "elf-ppc64").
public struct ElfPPC64Loader: ImageLoader {
    /// A loader.
    public init() {}
    /// "elf-ppc64".
    public var name: String { "elf-ppc64" }
    /// ppc64 and ppc64le.
    public var architectures: Set<KexecArchitecture> { [.ppc64, .ppc64le] }
    /// ELF64, EM_PPC64, ET_EXEC or ET_DYN, either byte order.
    public func probe(_ kernel: [UInt8]) -> Bool { PPCElfProbe.matches(kernel, class64: true, machine: 21) }
    /// Plans the load (see ``PPCImageLayout``).
    /// - Throws: ``PPCLoadError``, ``PlanningError``, ``PlanValidationError``.
    public func plan(_ input: ImageLoadInput) throws -> any KexecPlan {
        try PPCImageLayout.plan(input, kernelClass: .elf64, machine: 21)
    }
}

/// A 32-bit PowerPC ELF kernel on a running ppc kernel, with the ppc32
/// purgatory (kexec-tools' "elf-ppc"). Normal kexec only.
public struct ElfPPC32Loader: ImageLoader {
    /// A loader.
    public init() {}
    /// "elf-ppc".
    public var name: String { "elf-ppc" }
    /// ppc.
    public var architectures: Set<KexecArchitecture> { [.ppc] }
    /// ELF32, EM_PPC, ET_EXEC or ET_DYN, either byte order.
    public func probe(_ kernel: [UInt8]) -> Bool { PPCElfProbe.matches(kernel, class64: false, machine: 20) }
    /// Plans the load (see ``PPCImageLayout``).
    /// - Throws: ``PPCLoadError``, ``PlanningError``, ``PlanValidationError``.
    public func plan(_ input: ImageLoadInput) throws -> any KexecPlan {
        try PPCImageLayout.plan(input, kernelClass: .elf32, machine: 20)
    }
}

/// The cheap identity check of a PowerPC ELF kernel: magic, class, either byte
/// order, ET_EXEC or ET_DYN, machine.
public enum PPCElfProbe {
    /// Whether `kernel` starts like an ELF kernel of that class and machine.
    public static func matches(_ kernel: [UInt8], class64: Bool, machine: UInt16) -> Bool {
        guard kernel.count >= 20, kernel[0] == 0x7f, kernel[1] == 0x45, kernel[2] == 0x4c, kernel[3] == 0x46,
              kernel[4] == (class64 ? 2 : 1), kernel[5] == 1 || kernel[5] == 2 else { return false }
        let big = kernel[5] == 2
        func half(_ offset: Int) -> UInt16 {
            big ? UInt16(kernel[offset]) << 8 | UInt16(kernel[offset + 1]) : UInt16(kernel[offset + 1]) << 8 | UInt16(kernel[offset])
        }
        let type = half(16)
        return (type == 2 || type == 3) && half(18) == machine
    }
}
