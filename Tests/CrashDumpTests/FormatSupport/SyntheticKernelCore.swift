import CrashDump
import ElfNotes
import KexecCore

/// A small x86_64 ELF vmcore that makedumpfile accepts: 15.6 MiB of RAM in two
/// PT_LOADs with a hole, a kernel-text PT_LOAD, an NT_PRSTATUS note and, with
/// `kernelInfo`, a VMCOREINFO plus just enough kernel to satisfy makedumpfile at
/// any dump level: page tables for the kernel text map, `init_uts_ns`, and a
/// FLATMEM `mem_map` whose struct pages mark some frames free, anonymous or page cache.
///
/// Page contents (pfn % 4): 0 zeros, 1 text, 2 pseudo-random, 3 one repeated byte.
/// Classes (pfn % 8): 5 free (buddy), 6 anonymous, 7 page cache, else kernel.
enum SyntheticKernelCore {
    static let pageSize = 4096
    /// The RAM ranges (physical).
    static let ram: [Range<UInt64>] = [0..<0x9f000, 0x100000..<0x1000000]
    static let maxPFN: UInt64 = 0x1000
    static let textStart: UInt64 = 0xffff_ffff_8000_0000
    static let directMap: UInt64 = 0xffff_8880_0000_0000
    /// Kernel-text PT_LOAD: physical 2 MiB..4 MiB.
    static let textLoad: Range<UInt64> = 0x200000..<0x400000
    static let pml4: UInt64 = 0x200000
    static let utsPage: UInt64 = 0x400000
    static let memMapPointer: UInt64 = 0x401000
    static let memMap: UInt64 = 0x600000
    static let structPageSize: UInt64 = 64

    /// Frames holding the kernel structures (always kept).
    static let specialFrames: Set<UInt64> = {
        var frames: Set<UInt64> = [0x200, 0x201, 0x202, 0x400, 0x401]
        let pages = (maxPFN * structPageSize + 4095) / 4096
        for pfn in (memMap / 4096)..<(memMap / 4096 + pages) { frames.insert(pfn) }
        return frames
    }()

    enum PageClass { case kernel, free, anonymous, cache }

    static func pageClass(_ pfn: UInt64) -> PageClass {
        if specialFrames.contains(pfn) { return .kernel }
        switch pfn % 8 {
        case 5: return .free
        case 6: return .anonymous
        case 7: return .cache
        default: return .kernel
        }
    }

    static func isRAM(_ pfn: UInt64) -> Bool {
        ram.contains { $0.contains(pfn * 4096) }
    }

    /// The frames makedumpfile -d 31 keeps in its 2nd bitmap: RAM of the kernel
    /// class (zero pages stay in the bitmap, sharing one zero-page descriptor).
    static func keptAtLevel31(_ pfn: UInt64) -> Bool {
        isRAM(pfn) && pageClass(pfn) == .kernel
    }

    static var vmcoreInfoText: String {
        """
        OSRELEASE=6.1.0-synthetic
        PAGESIZE=4096
        SYMBOL(init_uts_ns)=\(hex(textStart + utsPage))
        SYMBOL(init_top_pgt)=\(hex(textStart + pml4))
        NUMBER(phys_base)=0
        SYMBOL(mem_map)=\(hex(textStart + memMapPointer))
        SIZE(page)=64
        OFFSET(page.flags)=0
        OFFSET(page._refcount)=52
        OFFSET(page.mapping)=24
        OFFSET(page.lru)=8
        OFFSET(page._mapcount)=48
        OFFSET(page.private)=40
        OFFSET(page.compound_head)=8
        NUMBER(PG_lru)=4
        NUMBER(PG_private)=13
        NUMBER(PG_swapcache)=10
        NUMBER(PG_swapbacked)=19
        NUMBER(PG_slab)=7
        NUMBER(PG_hwpoison)=22
        NUMBER(PG_head_mask)=64
        NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129
        KERNELOFFSET=0

        """
    }

    static func hex(_ value: UInt64) -> String { String(value, radix: 16) }

    /// The contents of frame `pfn`.
    static func page(_ pfn: UInt64, kernelInfo: Bool) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: pageSize)
        if kernelInfo, let special = specialPage(pfn) { return special }
        switch pfn % 4 {
        case 0:
            break
        case 1:
            let text = Array("page \(hex(pfn)) of the synthetic kernel core; ".utf8)
            for index in 0..<pageSize { bytes[index] = text[index % text.count] }
        case 2:
            var state = pfn &* 0x9e37_79b9_7f4a_7c15 | 1
            bytes.withUnsafeMutableBytes { raw in
                for index in stride(from: 0, to: pageSize, by: 8) {
                    state ^= state << 13
                    state ^= state >> 7
                    state ^= state << 17
                    raw.storeBytes(of: state.littleEndian, toByteOffset: index, as: UInt64.self)
                }
            }
        default:
            for index in 0..<pageSize { bytes[index] = UInt8(truncatingIfNeeded: pfn) | 1 }
        }
        return bytes
    }

    static func put(_ value: UInt64, _ bytes: inout [UInt8], at offset: Int) {
        for index in 0..<8 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * index)) }
    }

    static func put32(_ value: Int32, _ bytes: inout [UInt8], at offset: Int) {
        let raw = UInt32(bitPattern: value)
        for index in 0..<4 { bytes[offset + index] = UInt8(truncatingIfNeeded: raw >> (8 * index)) }
    }

    static func specialPage(_ pfn: UInt64) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: pageSize)
        switch pfn * 4096 {
        case pml4:
            put((pml4 + 0x1000) | 3, &bytes, at: 511 * 8)
        case pml4 + 0x1000:
            put((pml4 + 0x2000) | 3, &bytes, at: 510 * 8)
        case pml4 + 0x2000:
            for index in 0..<8 { put(UInt64(index) << 21 | 0x83, &bytes, at: index * 8) }
        case utsPage:
            let uts = KdumpUtsname(sysname: "Linux", nodename: "synthetic", release: "6.1.0-synthetic",
                                   version: "#1 SMP", machine: "x86_64", domainname: "(none)").encoded
            bytes.replaceSubrange(4..<4 + uts.count, with: uts)
        case memMapPointer:
            put(textStart + memMap, &bytes, at: 0)
        default:
            let arrayBytes = maxPFN * structPageSize
            guard pfn * 4096 >= memMap, pfn * 4096 < memMap + (arrayBytes + 4095) / 4096 * 4096 else { return nil }
            let first = (pfn * 4096 - memMap) / structPageSize
            for slot in 0..<UInt64(pageSize) / structPageSize {
                let described = first + slot
                guard described < maxPFN else { break }
                let offset = Int(slot * structPageSize)
                put32(1, &bytes, at: offset + 52)    // _refcount
                put32(-1, &bytes, at: offset + 48)   // _mapcount
                switch pageClass(described) {
                case .kernel: break
                case .free: put32(-129, &bytes, at: offset + 48)
                case .anonymous: put(directMap | 1, &bytes, at: offset + 24)
                case .cache:
                    put(1 << 4, &bytes, at: offset)  // PG_lru
                    put(directMap + 0x123000, &bytes, at: offset + 24)
                }
            }
        }
        return bytes
    }

    static func bytes(of range: Range<UInt64>, kernelInfo: Bool) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(Int(range.count))
        for pfn in (range.lowerBound / 4096)..<(range.upperBound / 4096) {
            result.append(contentsOf: page(pfn, kernelInfo: kernelInfo))
        }
        return result
    }

    /// The ELF core file.
    static func core(kernelInfo: Bool) throws -> [UInt8] {
        var notes = [ElfNote(name: ElfNote.Name.core, type: ElfNote.NoteType.prstatus,
                             descriptor: [UInt8](repeating: 0, count: 336))]
        if kernelInfo { notes.append(VmcoreInfo(parsing: vmcoreInfoText).note) }
        var loads = [ElfCoreWriter.Load(physicalStart: PhysicalAddress(textLoad.lowerBound),
                                        virtualStart: VirtualAddress(textStart + textLoad.lowerBound),
                                        bytes: bytes(of: textLoad, kernelInfo: kernelInfo))]
        for range in ram {
            loads.append(ElfCoreWriter.Load(physicalStart: PhysicalAddress(range.lowerBound),
                                            virtualStart: VirtualAddress(directMap + range.lowerBound),
                                            bytes: bytes(of: range, kernelInfo: kernelInfo)))
        }
        return try ElfCoreWriter(architecture: .x86_64, noteSegments: [ElfNote.encode(notes, byteOrder: .little)],
                                 loads: loads).bytes()
    }
}
