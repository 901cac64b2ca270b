public import KexecCore

/// Builds the ELF core header (`elfcorehdr`) a capture kernel reads to make
/// /proc/vmcore: one PT_NOTE per CPU (the crash notes), one for VMCOREINFO, a
/// PT_LOAD for the kernel text, and one PT_LOAD per range of the crashed kernel's
/// memory. Notes and memory are referenced by physical address (p_offset =
/// p_paddr), as kexec-tools and the kernel's own loader write them.
public enum ElfCoreHeaderBuilder {
    /// ELF_CORE_HEADER_ALIGN: the header's placement alignment (the command line
    /// names it in KiB).
    public static let alignment: UInt64 = 1024

    /// - Parameters:
    ///   - architecture: decides class, machine and byte order.
    ///   - crash: CPU notes, VMCOREINFO, kernel text, PAGE_OFFSET.
    ///   - memory: the ranges to dump (System RAM minus the crash region).
    /// - Throws: ``ElfCoreError/doesNotFit(field:value:)`` when a 32-bit
    ///   architecture's header would need addresses of 4 GiB or more.
    public static func build(architecture: KexecArchitecture, crash: CrashState,
                             memory: PhysicalRangeSet) throws(ElfCoreError) -> [UInt8] {
        var entries: [ProgramHeaderEntry] = []
        func add(_ type: UInt32, _ flags: UInt32, _ start: UInt64, _ vaddr: UInt64, _ size: UInt64) {
            entries.append(ProgramHeaderEntry(type: type, flags: flags, offset: start, vaddr: vaddr, paddr: start,
                                              filesz: size, memsz: size, align: 0))
        }
        for note in crash.cpuNotes { add(4, 0, note.lowerBound.rawValue, 0, note.size) }
        if let info = crash.vmcoreinfo { add(4, 0, info.lowerBound.rawValue, 0, info.size) }
        if let text = crash.kernelText {
            add(1, 7, text.physical.lowerBound.rawValue, text.virtualStart, text.physical.size)
        }
        for range in memory.ranges {
            add(1, 7, range.lowerBound.rawValue, crash.pageOffset &+ range.lowerBound.rawValue, range.size)
        }
        var writer = ByteWriter(byteOrder: architecture.byteOrder)
        try CoreHeaderEncoder.write(elfClass: architecture.is64Bit ? .elf64 : .elf32, machine: architecture.elfMachine,
                                    entries: entries, into: &writer)
        return writer.bytes
    }
}
