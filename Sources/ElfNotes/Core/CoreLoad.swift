public import KexecCore

/// One PT_LOAD of a core file: a range of the crashed machine's physical memory
/// and where its bytes lie in the file.
public struct CoreLoad: Hashable, Sendable {
    /// The program header's index.
    public var index: Int
    /// `[p_paddr, p_paddr + p_memsz)`.
    public var physical: PhysicalRange
    /// `p_vaddr`: the kernel virtual address of the start.
    public var virtualStart: VirtualAddress
    /// `p_offset`.
    public var fileOffset: UInt64
    /// `p_filesz`; bytes from here up to `p_memsz` read as zeros.
    public var fileSize: UInt64
    /// Whether this is the kernel-text PT_LOAD: on x86_64, the one whose virtual
    /// address lies in the kernel text mapping (0xffffffff80000000 and up), which
    /// kexec-tools and the kernel add besides the direct-map ranges.
    public var isKernelText: Bool

    /// The x86_64 kernel text mapping's start (`__START_KERNEL_map`).
    public static let x86_64KernelTextMap: UInt64 = 0xffff_ffff_8000_0000

    /// A PT_LOAD as read from its program header.
    public init(index: Int, physical: PhysicalRange, virtualStart: VirtualAddress, fileOffset: UInt64,
                fileSize: UInt64, isKernelText: Bool) {
        self.index = index
        self.physical = physical
        self.virtualStart = virtualStart
        self.fileOffset = fileOffset
        self.fileSize = fileSize
        self.isKernelText = isKernelText
    }
}
