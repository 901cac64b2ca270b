import ArchI386
public import KexecCore
import SegmentPlanner

/// bzImage with a 64-bit entry (xloadflags KERNEL_64), booted at load address +
/// 0x200 in long mode by the x86_64 purgatory (kexec-tools' "bzImage64").
public struct BzImage64Loader: ImageLoader {
    public init() {}
    public var name: String { "bzImage64" }
    public var architectures: Set<KexecArchitecture> { [.x86_64] }
    /// kexec-tools' probe: a bzImage of protocol 2.12+, LOADED_HIGH, and xloadflags
    /// with both KERNEL_64 and CAN_BE_LOADED_ABOVE_4G.
    public func probe(_ kernel: [UInt8]) -> Bool {
        guard SetupHeader.probe(kernel), let header = try? SetupHeader(parsing: kernel) else { return false }
        return header.version >= 0x020c && header.loadsHigh && header.xloadFlags & 0x3 == 0x3
    }
    public func plan(_ input: ImageLoadInput) throws -> any KexecPlan {
        try BzImageLayout.plan(input, purgatoryObject: PurgatoryObjectX86_64.bytes, entry: .bits64)
    }
}

/// Any bzImage (an i386 kernel in particular) booted through its 32-bit entry from a
/// running x86_64 kernel: the x86_64 purgatory drops from long mode to 32-bit
/// protected mode before jumping (kexec-tools' "bzImage" on x86_64).
public struct BzImage32OnX86_64Loader: ImageLoader {
    public init() {}
    public var name: String { "bzImage" }
    public var architectures: Set<KexecArchitecture> { [.x86_64] }
    public func probe(_ kernel: [UInt8]) -> Bool { SetupHeader.probe(kernel) }
    public func plan(_ input: ImageLoadInput) throws -> any KexecPlan {
        try BzImageLayout.plan(input, purgatoryObject: PurgatoryObjectX86_64.bytes, entry: .bits32)
    }
}

/// An x86_64 ELF kernel (vmlinux), entered in long mode at its physical e_entry
/// (kexec-tools' "elf-x86_64").
public struct ElfX86_64Loader: ImageLoader {
    public init() {}
    public var name: String { "elf-x86_64" }
    public var architectures: Set<KexecArchitecture> { [.x86_64] }
    public func probe(_ kernel: [UInt8]) -> Bool { ElfKernelProbe.matches(kernel, class32: false, machine: 62) }
    public func plan(_ input: ImageLoadInput) throws -> any KexecPlan {
        try ElfKernelLayout.plan(input, purgatoryObject: PurgatoryObjectX86_64.bytes, machine: 62, entry: .bits64)
    }
}

/// An i386 ELF kernel booted from a running x86_64 kernel through the 64-to-32
/// switch (kexec-tools' "elf-x86" on x86_64).
public struct ElfI386OnX86_64Loader: ImageLoader {
    public init() {}
    public var name: String { "elf-x86" }
    public var architectures: Set<KexecArchitecture> { [.x86_64] }
    public func probe(_ kernel: [UInt8]) -> Bool { ElfKernelProbe.matches(kernel, class32: true, machine: 3) }
    public func plan(_ input: ImageLoadInput) throws -> any KexecPlan {
        try ElfKernelLayout.plan(input, purgatoryObject: PurgatoryObjectX86_64.bytes, machine: 3, entry: .bits32)
    }
}

/// The image loaders of this module, in kexec-tools' probe order (ELF, then bzImage64, then bzImage).
public enum ArchX86_64 {
    public static let imageLoaders: [any ImageLoader] = [
        ElfX86_64Loader(), ElfI386OnX86_64Loader(), BzImage64Loader(), BzImage32OnX86_64Loader(),
    ]
}
