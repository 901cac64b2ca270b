public import ElfNotes
public import KexecCore

/// Everything a writer needs from the dump it copies: memory, the notes to carry
/// over, and the identity of the crashed kernel.
public struct DumpInput: Sendable {
    /// The crashed machine's memory.
    public var memory: any PhysicalMemory
    /// The page frames to write: whole pages of ``memory`` (a partial page at the
    /// end of a PT_LOAD is left out, as makedumpfile does).
    public var frames: [Range<UInt64>]
    /// The notes blob (PRSTATUS per CPU, VMCOREINFO, ...) as one byte sequence.
    public var notes: [UInt8]
    /// The byte order of every field of the crashed machine.
    public var byteOrder: ByteOrder
    /// The ELF class and machine for ELF output.
    public var elfClass: ElfClass
    /// `e_machine`.
    public var machine: UInt16
    /// `utsname` for the kdump header.
    public var utsname: KdumpUtsname
    /// The physical range of the kernel-text PT_LOAD and its virtual start, kept
    /// whole in ELF output so readers find the kernel's text mapping.
    public var kernelText: (physical: Range<UInt64>, virtualStart: UInt64)?
    /// The virtual start of each RAM range's direct mapping (p_vaddr of the
    /// input's PT_LOADs), or nil when the input has none (kdump input).
    public var directMapOffset: UInt64?
    /// `phys_base` for the kdump sub-header.
    public var physBase: UInt64
    /// The number of CPUs (PRSTATUS notes).
    public var cpuCount: Int

    /// An input with every field given.
    public init(memory: any PhysicalMemory, notes: [UInt8], byteOrder: ByteOrder, elfClass: ElfClass, machine: UInt16,
                utsname: KdumpUtsname, kernelText: (physical: Range<UInt64>, virtualStart: UInt64)?,
                directMapOffset: UInt64?, physBase: UInt64, cpuCount: Int) {
        self.memory = memory
        frames = (memory as? ElfVmcoreMemory)?.wholePageFrames ?? memory.pageFrames
        self.notes = notes
        self.byteOrder = byteOrder
        self.elfClass = elfClass
        self.machine = machine
        self.utsname = utsname
        self.kernelText = kernelText
        self.directMapOffset = directMapOffset
        self.physBase = physBase
        self.cpuCount = cpuCount
    }
}
