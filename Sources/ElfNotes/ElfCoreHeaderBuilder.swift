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
    public static func build(architecture: KexecArchitecture, crash: CrashState, memory: PhysicalRangeSet) -> [UInt8] {
        let is64 = architecture.is64Bit
        var headers: [(type: UInt32, flags: UInt32, offset: UInt64, vaddr: UInt64, paddr: UInt64, size: UInt64)] = []
        for note in crash.cpuNotes {
            headers.append((4, 0, note.lowerBound.rawValue, 0, note.lowerBound.rawValue, note.size))
        }
        if let info = crash.vmcoreinfo {
            headers.append((4, 0, info.lowerBound.rawValue, 0, info.lowerBound.rawValue, info.size))
        }
        if let text = crash.kernelText {
            headers.append((1, 7, text.physical.lowerBound.rawValue, text.virtualStart, text.physical.lowerBound.rawValue, text.physical.size))
        }
        for range in memory.ranges {
            let start = range.lowerBound.rawValue
            headers.append((1, 7, start, crash.pageOffset &+ start, start, range.size))
        }
        let ehsize = is64 ? 64 : 52
        let phentsize = is64 ? 56 : 32
        var writer = ByteWriter(byteOrder: architecture.byteOrder, reservingCapacity: ehsize + phentsize * headers.count)
        writer.write(bytes: [0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, architecture.byteOrder == .little ? 1 : 2, 1, 0])
        writer.writeZeros(8)
        writer.write(UInt16(4))                       // ET_CORE
        writer.write(architecture.elfMachine)
        writer.write(UInt32(1))                       // EV_CURRENT
        func word(_ value: UInt64) { if is64 { writer.write(value) } else { writer.write(UInt32(truncatingIfNeeded: value)) } }
        word(0)                                        // e_entry
        word(UInt64(ehsize))                           // e_phoff
        word(0)                                        // e_shoff
        writer.write(UInt32(0))                       // e_flags
        writer.write(UInt16(ehsize))
        writer.write(UInt16(phentsize))
        writer.write(UInt16(headers.count))
        writer.write(UInt16(0))                       // e_shentsize
        writer.write(UInt16(0))                       // e_shnum
        writer.write(UInt16(0))                       // e_shstrndx
        for header in headers {
            writer.write(header.type)
            if is64 {
                writer.write(header.flags)
                writer.write(header.offset)
                writer.write(header.vaddr)
                writer.write(header.paddr)
                writer.write(header.size)
                writer.write(header.size)
                writer.write(UInt64(0))
            } else {
                word(header.offset)
                word(header.vaddr)
                word(header.paddr)
                word(header.size)
                word(header.size)
                writer.write(header.flags)
                word(0)
            }
        }
        return writer.bytes
    }
}
