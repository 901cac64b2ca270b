import Testing
@testable import CrashDump
import ElfNotes
import KexecCore
import KexecTestSupport

@Suite("X86_64KernelMemory")
struct X86_64KernelMemoryTests {
    /// 64 MiB of RAM; page tables from physical 16 MiB.
    static func machine(fiveLevel: Bool = false) -> (KernelTestMemory, X86_64TableBuilder) {
        let memory = KernelTestMemory(frames: [0..<0x4000])
        return (memory, X86_64TableBuilder(memory: memory, fiveLevel: fiveLevel, tablePool: 0x100_0000))
    }

    static func kernel(_ memory: KernelTestMemory, _ tables: X86_64TableBuilder, smeMask: UInt64 = 0,
                       directMapBase: UInt64? = nil, kernelImageSize: UInt64? = nil,
                       cache: Int = 32) throws -> X86_64KernelMemory {
        try X86_64KernelMemory(physical: memory, pageTableRoot: tables.root, fiveLevel: tables.fiveLevel, physBase: 0x20_0000,
                               kernelImageSize: kernelImageSize, directMapBase: directMapBase,
                               memoryEncryptionMask: smeMask, cacheCapacity: cache)
    }

    @Test("4-level walk: 4 KiB, 2 MiB and 1 GiB pages", arguments: [false, true])
    func pageSizes(fiveLevel: Bool) throws {
        var (memory, tables) = Self.machine(fiveLevel: fiveLevel)
        let small: UInt64 = 0xffff_c900_0012_3000
        let medium: UInt64 = 0xffff_ea00_0040_0000
        let huge: UInt64 = 0xffff_8880_4000_0000
        tables.map(small, to: 0x345_6000)
        tables.map(medium, to: 0x20_0000, leafShift: 21)
        tables.map(huge, to: 0x4000_0000, leafShift: 30)
        let kernel = try Self.kernel(memory, tables)

        #expect(try kernel.translate(small + 0x7ff) == 0x345_67ff)
        let smallMapping = try kernel.walk(small + 5)
        #expect(smallMapping == KernelMapping(virtualStart: small, physicalStart: 0x345_6000, size: 4096, source: .pageTable(level: 1)))
        #expect(try kernel.translate(medium + 0x1f_fff8) == 0x3f_fff8)
        #expect(try kernel.walk(medium + 0x1234).size == 1 << 21)
        #expect(try kernel.translate(huge + 0x3fff_ffff) == 0x7fff_ffff)
        #expect(try kernel.walk(huge).source == .pageTable(level: 3))
        // Next to a mapped page: not present.
        #expect(throws: CrashDumpError.self) { try kernel.translate(small + 0x1000) }
    }

    @Test("5-level paging indexes the PGD with bits 48...56")
    func fiveLevelIndexing() throws {
        var (memory, tables) = Self.machine(fiveLevel: true)
        // An address only 5-level paging can hold (bit 47 differs from bit 56).
        let virtual: UInt64 = 0xff11_0000_0000_1000
        tables.map(virtual, to: 0x7000)
        let kernel = try Self.kernel(memory, tables)
        #expect(try kernel.translate(virtual + 8) == 0x7008)
        // The same address is not canonical for 4-level paging.
        let fourLevel = try X86_64KernelMemory(physical: memory, pageTableRoot: tables.root, fiveLevel: false,
                                               physBase: 0, kernelImageSize: nil, directMapBase: nil)
        #expect(throws: CrashDumpError.self) { try fourLevel.walk(virtual) }
    }

    @Test("the memory-encryption mask is stripped from every entry")
    func smeMask() throws {
        var (memory, tables) = Self.machine()
        tables.extraBits = 1 << 47
        let virtual: UInt64 = 0xffff_c900_0000_0000
        tables.map(virtual, to: 0x1234_5000 & 0x3ff_ffff)
        let kernel = try Self.kernel(memory, tables, smeMask: 1 << 47)
        #expect(try kernel.translate(virtual + 1) == (0x1234_5000 & 0x3ff_ffff) + 1)
        // Without the mask the tables point above the dump.
        let unmasked = try Self.kernel(memory, tables)
        #expect(throws: CrashDumpError.self) { try unmasked.translate(virtual) }
    }

    @Test("fast paths: kernel text map and direct map need no table reads")
    func fastPaths() throws {
        let (memory, tables) = Self.machine()
        let kernel = try Self.kernel(memory, tables, directMapBase: 0xffff_8880_0000_0000, kernelImageSize: 1 << 30)
        memory.resetReads()
        #expect(try kernel.translate(0xffff_ffff_8100_0010) == 0x120_0010)
        #expect(try kernel.translate(0xffff_8880_0123_4567) == 0x123_4567)
        #expect(memory.readCount == 0)
        #expect(try kernel.mapping(of: 0xffff_8880_0000_0000).source == .directMap)
        // Beyond KERNEL_IMAGE_SIZE (modules) the tables are walked and nothing is mapped.
        #expect(throws: CrashDumpError.self) { try kernel.translate(0xffff_ffff_c000_0000) }
    }

    @Test("walks are cached; reads of mapped ranges are coalesced")
    func cacheAndCoalescing() throws {
        var (memory, tables) = Self.machine()
        let vmemmap: UInt64 = 0xffff_ea00_0000_0000
        // Two physically consecutive 2 MiB pages, then a 4 KiB page elsewhere.
        tables.map(vmemmap, to: 0x200_0000, leafShift: 21)
        tables.map(vmemmap + 0x20_0000, to: 0x220_0000, leafShift: 21)
        tables.map(vmemmap + 0x40_0000, to: 0x300_0000)
        memory.write64(0x1122_3344_5566_7788, at: 0x220_0000 - 8)
        memory.write64(0x99aa_bbcc_ddee_ff00, at: 0x300_0000)
        let kernel = try Self.kernel(memory, tables)

        memory.resetReads()
        _ = try kernel.translate(vmemmap + 0x1000)
        let walkReads = memory.readCount
        #expect(walkReads == 3)  // PGD, PUD, PMD (2 MiB page)
        _ = try kernel.translate(vmemmap + 0x2000)
        #expect(memory.readCount == walkReads)

        // 4 MiB + 8 bytes across three mappings: two physical reads after the walks.
        var buffer = [UInt8](repeating: 0, count: 0x40_0008)
        _ = try kernel.walk(vmemmap + 0x20_0000)
        _ = try kernel.translate(vmemmap + 0x20_0000)
        _ = try kernel.translate(vmemmap + 0x40_0000)
        memory.resetReads()
        try buffer.withUnsafeMutableBytes { raw in try kernel.readCoalesced(virtual: vmemmap, into: raw) }
        #expect(memory.readCount == 2)
        let middle = buffer[0x1f_fff8..<0x20_0000].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        #expect(middle == 0x1122_3344_5566_7788)
        let tail = buffer[0x40_0000..<0x40_0008].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        #expect(tail == 0x99aa_bbcc_ddee_ff00)
    }

    @Test("hostile page tables give typed errors, never hang")
    func hostileTables() throws {
        var (memory, tables) = Self.machine()
        let base: UInt64 = 0xffff_c900_0000_0000
        tables.map(base, to: 0x5000)
        let kernel = try Self.kernel(memory, tables, cache: 0)

        // A PMD entry pointing far outside the dump.
        tables.writeRaw(0x7_0000_0000 | 0x63, forVirtual: base, atShift: 21)
        #expect {
            try kernel.translate(base)
        } throws: { error in
            guard case CrashDumpError.corruptKernelData(let structure, _, let reason) = error else { return false }
            return structure.hasPrefix("PMD entry") && reason.contains("PTE table")
        }

        // A PS bit in a PGD entry is reserved.
        let other: UInt64 = 0xffff_a000_0000_0000
        tables.writeRaw(0x1000 | 0xe3, forVirtual: other, atShift: 39)
        #expect {
            try kernel.translate(other)
        } throws: { error in
            guard case CrashDumpError.corruptKernelData(_, _, let reason) = error else { return false }
            return reason.contains("PS bit")
        }

        // A PGD entry pointing back at the PGD: the walk has a fixed depth, so it ends.
        let loop: UInt64 = 0xffff_b000_0000_0000
        tables.writeRaw(tables.root | 0x63, forVirtual: loop, atShift: 39)
        _ = try? kernel.translate(loop)

        // Not present, and not canonical.
        #expect(throws: CrashDumpError.self) { try kernel.translate(0xffff_d000_0000_0000) }
        #expect {
            try kernel.translate(0x8000_0000_0000_0000)
        } throws: { error in
            guard case CrashDumpError.notMapped(_, let reason) = error else { return false }
            return reason.contains("canonical")
        }

        // A root outside the dump.
        let lost = try X86_64KernelMemory(physical: memory, pageTableRoot: 0x10_0000_0000, fiveLevel: false, physBase: 0,
                                          kernelImageSize: nil, directMapBase: nil)
        #expect {
            try lost.translate(base)
        } throws: { error in
            guard case CrashDumpError.corruptKernelData(let structure, _, _) = error else { return false }
            return structure == "page-table root"
        }
    }

    @Test("random page-table contents never crash a walk")
    func randomTables() throws {
        var generator = SeededGenerator(seed: 0x6b65_726e)
        let memory = KernelTestMemory(frames: [0..<64])
        for pfn in 0..<UInt64(64) {
            memory.write((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }, at: pfn * 4096)
        }
        for fiveLevel in [false, true] {
            let kernel = try X86_64KernelMemory(physical: memory, pageTableRoot: 0x1000, fiveLevel: fiveLevel, physBase: 0,
                                                kernelImageSize: nil, directMapBase: nil, cacheCapacity: 0)
            for _ in 0..<2000 {
                let virtual = UInt64.random(in: 0...UInt64.max, using: &generator) | 0xffff_8000_0000_0000
                _ = try? kernel.translate(virtual)
            }
        }
    }

    @Test("from VMCOREINFO: root, phys_base, 5-level flag, verification of the fast paths")
    func fromVmcoreInfo() throws {
        var (memory, tables) = Self.machine()
        let physBase: UInt64 = 0x20_0000
        // init_top_pgt at 0xffffffff81000000 + root - 0x1200000 so that __pa_symbol gives the root.
        let symbol = 0xffff_ffff_8000_0000 + tables.root - physBase
        // The tables map the text map (2 MiB pages) and the direct map (1 GiB page).
        for offset in stride(from: UInt64(0), to: 0x200_0000, by: 0x20_0000) {
            tables.map(0xffff_ffff_8000_0000 + offset, to: physBase + offset, leafShift: 21)
        }
        tables.map(0xffff_8880_0000_0000, to: 0, leafShift: 30)
        var info = VmcoreInfo()
        info["OSRELEASE"] = "6.1.0-test"
        info["PAGESIZE"] = "4096"
        info.setSymbol("init_top_pgt", VirtualAddress(symbol))
        info.setNumber("phys_base", Int64(physBase))
        info.setNumber("pgtable_l5_enabled", 0)
        info.setNumber("KERNEL_IMAGE_SIZE", 1 << 30)
        info.setNumber("sme_mask", 0)
        let kernel = try X86_64KernelMemory(physical: memory, vmcoreInfo: info, directMapBase: 0xffff_8880_0000_0000)
        #expect(kernel.pageTableRoot == tables.root)
        #expect(!kernel.fiveLevel)
        #expect(try kernel.translate(symbol) == tables.root)

        // A wrong PAGE_OFFSET contradicts the tables.
        #expect(throws: CrashDumpError.self) {
            try X86_64KernelMemory(physical: memory, vmcoreInfo: info, directMapBase: 0xffff_8880_0020_0000)
        }
        // A missing root symbol names the key and the purpose.
        var missing = info
        missing["SYMBOL(init_top_pgt)"] = nil
        #expect(throws: CrashDumpError.missingVmcoreInfo(key: "SYMBOL(init_top_pgt)", purpose: "x86_64 address translation")) {
            try X86_64KernelMemory(physical: memory, vmcoreInfo: missing, directMapBase: nil)
        }
        var bad = info
        bad["NUMBER(phys_base)"] = "banana"
        #expect(throws: CrashDumpError.self) { try X86_64KernelMemory(physical: memory, vmcoreInfo: bad, directMapBase: nil) }
        _ = tables
    }

    @Test("PAGE_OFFSET from PT_LOADs: the last direct-map load wins, the text load is ignored")
    func directMapFromLoads() throws {
        func load(_ index: Int, _ physical: UInt64, _ virtual: UInt64) throws -> CoreLoad {
            CoreLoad(index: index, physical: try PhysicalRange(start: PhysicalAddress(physical), size: 0x10_0000),
                     virtualStart: VirtualAddress(virtual), fileOffset: 0, fileSize: 0x10_0000,
                     isKernelText: virtual >= 0xffff_ffff_8000_0000)
        }
        let loads = [try load(0, 0x100_0000, 0xffff_ffff_8100_0000), try load(1, 0x1000, 0xffff_9a00_0000_1000),
                     try load(2, 0x10_0000, 0xffff_9a00_0010_0000)]
        #expect(X86_64KernelMemory.directMapBase(fromLoads: loads) == 0xffff_9a00_0000_0000)
        #expect(X86_64KernelMemory.directMapBase(fromLoads: [try load(0, 0x1000, 0)]) == nil)
    }
}

@Suite("I386KernelMemory")
struct I386KernelMemoryTests {
    @Test("PAE: PDPT, 2 MiB and 4 KiB pages")
    func pae() throws {
        let memory = KernelTestMemory(frames: [0..<0x1000])
        let root: UInt64 = 0x10_0000
        memory.write64(0x10_1000 | 1, at: root + 3 * 8)           // PDPT[3] for 0xc0000000...
        memory.write64(0x0 | 0xe3, at: 0x10_1000)                  // PMD[0]: 2 MiB at 0
        memory.write64(0x10_2000 | 0x63, at: 0x10_1000 + 8)        // PMD[1]: a PTE table
        memory.write64(0x1234_5000 | 0x63, at: 0x10_2000 + 5 * 8) // PTE[5]
        let kernel = try I386KernelMemory(physical: memory, pageTableRoot: root, pae: true)
        #expect(try kernel.translate(0xc001_2345) == 0x1_2345)
        #expect(try kernel.translate(0xc020_5010) == 0x1234_5010)
        #expect(throws: CrashDumpError.self) { try kernel.translate(0x8000_0000) }
        #expect(throws: CrashDumpError.self) { try kernel.translate(0x1_0000_0000) }
    }

    @Test("2-level: 4 MiB PSE-36 pages and 4 KiB pages; root from swapper_pg_dir")
    func twoLevel() throws {
        let memory = KernelTestMemory(frames: [0..<0x1000])
        let root: UInt64 = 0x20_0000
        memory.write32(0x0000_0000 | 0x83 | (1 << 13), at: root + 0x300 * 4)   // 4 MiB at 4 GiB (PSE-36 bit 32)
        memory.write32(0x21_0000 | 0x63, at: root + 0x301 * 4)
        memory.write32(0x0abc_d000 | 0x63, at: 0x21_0000 + 2 * 4)
        var info = VmcoreInfo()
        info.setSymbol("swapper_pg_dir", VirtualAddress(0xc000_0000 + root))
        let kernel = try I386KernelMemory(physical: memory, vmcoreInfo: info)
        #expect(!kernel.pae)
        #expect(kernel.pageTableRoot == root)
        #expect(try kernel.translate(0xc000_1234) == 0x1_0000_1234)
        #expect(try kernel.translate(0xc040_2008) == 0x0abc_d008)
    }
}

@Suite("x86_64 translation: KASLR below the link address")
struct X86_64NegativePhysBaseTests {
    /// KASLR may load the kernel physically below where it was linked: phys_base
    /// is then negative (VMCOREINFO prints it signed) and the text map must use
    /// two's complement, not report an overflow (seen in the kdump-save VM test).
    @Test func negativePhysBaseTranslatesTheKernelText() throws {
        let memory = KernelTestMemory(frames: [0..<0x10000])
        let physBase = UInt64(bitPattern: -0x0e60_0000)     // NUMBER(phys_base)=-241172480
        let kernel = try X86_64KernelMemory(physical: memory, pageTableRoot: 0x27c1_0000, fiveLevel: false,
                                            physBase: physBase, kernelImageSize: 0x4000_0000, directMapBase: nil)
        // v - __START_KERNEL_map + phys_base, in two's complement.
        #expect(try kernel.translate(0xffff_ffff_bf00_0000) == 0x30a0_0000)
        #expect(try kernel.translate(0xffff_ffff_8e60_0000) == 0)
        #expect(try kernel.translate(0xffff_ffff_8e60_1234) == 0x1234)
    }

    @Test func negativePhysBaseFromVmcoreInfoGivesTheRoot() throws {
        let info = VmcoreInfo(parsing: """
            OSRELEASE=6.1.0-56-amd64
            PAGESIZE=4096
            SYMBOL(init_top_pgt)=ffffffffb6410000
            NUMBER(phys_base)=-241172480
            NUMBER(pgtable_l5_enabled)=0
            NUMBER(KERNEL_IMAGE_SIZE)=1073741824

            """)
        let memory = KernelTestMemory(frames: [0..<0x40000])
        let kernel = try X86_64KernelMemory(physical: memory, vmcoreInfo: info, directMapBase: nil, verify: false)
        #expect(kernel.pageTableRoot == 0x3641_0000 &- 0x0e60_0000)
        #expect(try kernel.translate(0xffff_ffff_b641_0000) == 0x27e1_0000)
    }
}
