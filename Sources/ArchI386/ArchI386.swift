public import KexecCore
import SegmentPlanner

/// bzImage through the 32-bit boot protocol on a running i386 kernel, with the
/// i386 purgatory (kexec-tools' "bzImage" type).
public struct BzImageI386Loader: ImageLoader {
    public init() {}
    public var name: String { "bzImage" }
    public var architectures: Set<KexecArchitecture> { [.i386] }
    public func probe(_ kernel: [UInt8]) -> Bool { SetupHeader.probe(kernel) }
    public func plan(_ input: ImageLoadInput) throws -> any KexecPlan {
        try BzImageLayout.plan(input, purgatoryObject: PurgatoryObjectI386.bytes, entry: .bits32)
    }
}

/// An i386 ELF kernel (vmlinux) on a running i386 kernel (kexec-tools' "elf-x86").
public struct ElfI386Loader: ImageLoader {
    public init() {}
    public var name: String { "elf-x86" }
    public var architectures: Set<KexecArchitecture> { [.i386] }
    public func probe(_ kernel: [UInt8]) -> Bool { ElfKernelProbe.matches(kernel, class32: true, machine: 3) }
    public func plan(_ input: ImageLoadInput) throws -> any KexecPlan {
        try ElfKernelLayout.plan(input, purgatoryObject: PurgatoryObjectI386.bytes, machine: 3, entry: .bits32)
    }
}

/// The cheap check of an ELF kernel's identity: magic, class, ET_EXEC, machine.
public enum ElfKernelProbe {
    public static func matches(_ kernel: [UInt8], class32: Bool, machine: UInt16) -> Bool {
        guard kernel.count >= 20, kernel[0] == 0x7f, kernel[1] == 0x45, kernel[2] == 0x4c, kernel[3] == 0x46,
              kernel[4] == (class32 ? 1 : 2), kernel[5] == 1 else { return false }
        return UInt16(kernel[16]) | UInt16(kernel[17]) << 8 == 2 && UInt16(kernel[18]) | UInt16(kernel[19]) << 8 == machine
    }
}

/// The image loaders of this module, in kexec-tools' probe order.
public enum ArchI386 {
    public static let imageLoaders: [any ImageLoader] = [ElfI386Loader(), BzImageI386Loader()]
}
