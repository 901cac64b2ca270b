import ElfNotes
public import KexecCore

/// The ELF core header (`elfcorehdr`) of a ppc64 kdump, as kexec-tools'
/// crashdump-ppc64.c and crashdump-elf.c write it: one PT_NOTE per CPU (the
/// crashed kernel's `crash_notes`, where it writes the ppc64 PRSTATUS notes at
/// panic), one for VMCOREINFO, a PT_LOAD for the first 64 KiB whose bytes come
/// from the backup copy purgatory made, one PT_LOAD per range of the memory
/// nodes outside the crash region (and below `linux,memory-limit`), and the parts
/// of RTAS and OPAL inside the crash region (whole pages). No kernel-text PT_LOAD:
/// ppc64 maps the kernel linearly at PAGE_OFFSET.
public enum PPCCrashHeader {
    /// ppc64's PAGE_OFFSET (`KERNELBASE`): the linear map's virtual address of physical 0.
    public static let pageOffset64: UInt64 = 0xc000_0000_0000_0000

    /// - Parameters:
    ///   - architecture: the running kernel's (ppc64 or ppc64le): class, machine and byte order.
    ///   - crash: CPU notes and VMCOREINFO (the text and PAGE_OFFSET fields are not used).
    ///   - layout: the running system's memory from its tree.
    ///   - crashRegion: the capture kernel's region.
    ///   - backup: where purgatory copies the first ``KexecCrashMemory/backupSize`` bytes.
    /// - Returns: the header bytes.
    /// - Throws: ``PPCLoadError/crashHeader(_:)``.
    public static func build(architecture: KexecArchitecture, crash: CrashState, layout: DeviceTreeMemoryLayout,
                             crashRegion: PhysicalRange, backup: PhysicalRange) throws(PPCLoadError) -> [UInt8] {
        var entries: [ProgramHeaderEntry] = []
        func note(_ range: PhysicalRange) {
            entries.append(ProgramHeaderEntry(type: 4, flags: 0, offset: range.lowerBound.rawValue, vaddr: 0,
                                              paddr: range.lowerBound.rawValue, filesz: range.size, memsz: range.size, align: 0))
        }
        func load(_ range: PhysicalRange, from offset: UInt64) {
            entries.append(ProgramHeaderEntry(type: 1, flags: 7, offset: offset, vaddr: pageOffset64 &+ range.lowerBound.rawValue,
                                              paddr: range.lowerBound.rawValue, filesz: range.size, memsz: range.size, align: 0))
        }
        for cpu in crash.cpuNotes { note(cpu) }
        if let info = crash.vmcoreinfo { note(info) }

        let backupSource = PhysicalRange(unchecked: 0, PhysicalAddress(KexecCrashMemory.backupSize))
        load(backupSource, from: backup.lowerBound.rawValue)
        var dumped = layout.ram.subtracting(PhysicalRangeSet([crashRegion, backupSource]))
        if let limit = layout.memoryLimit {
            dumped = dumped.intersection(PhysicalRangeSet([PhysicalRange(unchecked: 0, PhysicalAddress(limit))]))
        }
        for range in dumped.ranges { load(range, from: range.lowerBound.rawValue) }
        // Firmware inside the crash region still belongs to the crashed system.
        for firmware in layout.reserved {
            switch firmware.source {
            case .rtas, .opal:
                guard let inside = firmware.range.intersection(crashRegion), !inside.isEmpty,
                      let whole = try? inside.alignedOutward(to: layout.pageSize.alignment),
                      let clipped = whole.intersection(crashRegion) else { continue }
                load(clipped, from: clipped.lowerBound.rawValue)
            default:
                continue
            }
        }
        var writer = ByteWriter(byteOrder: architecture.byteOrder)
        do {
            try CoreHeaderEncoder.write(elfClass: architecture.is64Bit ? .elf64 : .elf32, machine: architecture.elfMachine,
                                        entries: entries, into: &writer)
        } catch {
            throw .crashHeader(error)
        }
        return writer.bytes
    }
}
