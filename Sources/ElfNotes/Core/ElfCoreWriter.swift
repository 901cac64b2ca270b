public import KexecCore

/// Writes a whole ELF core file (ET_CORE): header, program headers, note
/// segments and memory, laid out as the capture kernel lays out /proc/vmcore
/// (notes first, each PT_LOAD's bytes at an aligned file offset).
///
/// It is the ELF output of a dump, not the elfcorehdr a loader hands to the
/// capture kernel (that one references memory by physical address and has no
/// contents; see `ElfCoreHeaderBuilder`).
public struct ElfCoreWriter: Sendable {
    /// One PT_LOAD: physical and virtual start, the bytes present in the file,
    /// and the size in memory (at least `bytes.count`; the rest reads as zeros).
    public struct Load: Hashable, Sendable {
        /// `p_paddr`.
        public var physicalStart: PhysicalAddress
        /// `p_vaddr`.
        public var virtualStart: VirtualAddress
        /// The contents (`p_filesz` bytes).
        public var bytes: [UInt8]
        /// `p_memsz`.
        public var memorySize: UInt64

        /// A load of `bytes`; `memorySize` defaults to (and is at least) `bytes.count`.
        public init(physicalStart: PhysicalAddress, virtualStart: VirtualAddress, bytes: [UInt8], memorySize: UInt64? = nil) {
            self.physicalStart = physicalStart
            self.virtualStart = virtualStart
            self.bytes = bytes
            self.memorySize = max(memorySize ?? UInt64(bytes.count), UInt64(bytes.count))
        }
    }

    /// `EI_CLASS`.
    public var elfClass: ElfClass
    /// `EI_DATA`: every header is written in this order (notes come encoded).
    public var byteOrder: ByteOrder
    /// `e_machine`.
    public var machine: UInt16
    /// The PT_NOTE contents, one segment each, written as given (encode notes
    /// with ``ElfNote/encode(_:byteOrder:terminated:)``).
    public var noteSegments: [[UInt8]]
    /// The PT_LOADs, written after the notes in this order.
    public var loads: [Load]
    /// The file alignment of each PT_LOAD's bytes (a power of two; /proc/vmcore
    /// uses the page size).
    public var loadAlignment: UInt64

    /// A writer with every field given.
    public init(elfClass: ElfClass, byteOrder: ByteOrder, machine: UInt16, noteSegments: [[UInt8]], loads: [Load],
                loadAlignment: UInt64 = 4096) {
        self.elfClass = elfClass
        self.byteOrder = byteOrder
        self.machine = machine
        self.noteSegments = noteSegments
        self.loads = loads
        self.loadAlignment = max(loadAlignment, 1)
    }

    /// A writer for `architecture`'s class, byte order and machine.
    public init(architecture: KexecArchitecture, noteSegments: [[UInt8]], loads: [Load], loadAlignment: UInt64 = 4096) {
        self.init(elfClass: architecture.is64Bit ? .elf64 : .elf32, byteOrder: architecture.byteOrder,
                  machine: architecture.elfMachine, noteSegments: noteSegments, loads: loads, loadAlignment: loadAlignment)
    }

    /// The file's bytes.
    /// - Throws: ``ElfCoreError/doesNotFit(field:value:)`` when an ELF32 file would
    ///   need an address, size or offset of 4 GiB or more, or there are more than
    ///   65534 program headers.
    public func bytes() throws(ElfCoreError) -> [UInt8] {
        let is64 = elfClass == .elf64
        let headerSize: UInt64 = is64 ? 64 : 52
        let entrySize: UInt64 = is64 ? 56 : 32
        let count = noteSegments.count + loads.count
        guard count < 0xffff else { throw .doesNotFit(field: "e_phnum", value: UInt64(count)) }

        var entries: [ProgramHeaderEntry] = []
        var cursor = headerSize + entrySize * UInt64(count)
        for segment in noteSegments {
            cursor = (cursor + 3) & ~3
            entries.append(ProgramHeaderEntry(type: 4, flags: 0, offset: cursor, vaddr: 0, paddr: 0,
                                              filesz: UInt64(segment.count), memsz: UInt64(segment.count), align: 4))
            cursor += UInt64(segment.count)
        }
        let mask = loadAlignment - 1
        for load in loads {
            cursor = (cursor + mask) & ~mask
            entries.append(ProgramHeaderEntry(type: 1, flags: 7, offset: cursor, vaddr: load.virtualStart.rawValue,
                                              paddr: load.physicalStart.rawValue, filesz: UInt64(load.bytes.count),
                                              memsz: load.memorySize, align: 0))
            cursor += UInt64(load.bytes.count)
        }

        var writer = ByteWriter(byteOrder: byteOrder, reservingCapacity: Int(clamping: cursor))
        try CoreHeaderEncoder.write(elfClass: elfClass, machine: machine, entries: entries, into: &writer)
        for (segment, entry) in zip(noteSegments, entries) {
            writer.writeZeros(Int(entry.offset) - writer.bytes.count)
            writer.write(bytes: segment)
        }
        for (load, entry) in zip(loads, entries.dropFirst(noteSegments.count)) {
            writer.writeZeros(Int(entry.offset) - writer.bytes.count)
            writer.write(bytes: load.bytes)
        }
        return writer.bytes
    }
}
