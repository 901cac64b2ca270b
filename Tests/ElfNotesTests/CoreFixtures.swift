import Foundation
import KexecTestSupport
import Testing
@testable import ElfNotes
import KexecCore

/// Builders for the note and core fixtures of the Note* and Core* tests.
enum CoreFixtures {
    /// Bytes from hex text; spaces and newlines are ignored.
    static func hex(_ text: String) -> [UInt8] {
        let digits = text.filter { !$0.isWhitespace }
        var bytes: [UInt8] = []
        var index = digits.startIndex
        while index < digits.endIndex {
            let next = digits.index(index, offsetBy: 2)
            bytes.append(UInt8(digits[index..<next], radix: 16) ?? 0)
            index = next
        }
        return bytes
    }

    /// x86_64 registers with every slot distinct: slot i holds 0x1000 * (i + 1) + i,
    /// then rip/rsp set to kernel-looking values.
    static func x86_64Registers(cpu: Int) -> X86_64Registers {
        var registers = X86_64Registers()
        registers.r15 = 0xf15; registers.r14 = 0xf14; registers.r13 = 0xf13; registers.r12 = 0xf12
        registers.rbp = 0xffff_c900_0001_3e00 + UInt64(cpu)
        registers.rbx = 0xb0b; registers.r11 = 0x246; registers.r10 = 0x10; registers.r9 = 0x9; registers.r8 = 0x8
        registers.rax = 0xaaa; registers.rcx = 0xccc; registers.rdx = 0xddd; registers.rsi = 0x51; registers.rdi = 0xd1
        registers.origRax = UInt64.max
        registers.rip = 0xffff_ffff_8123_4560 + UInt64(cpu)
        registers.cs = 0x10
        registers.eflags = 0x10046
        registers.rsp = 0xffff_c900_0001_3d00 + UInt64(cpu) * 0x100
        registers.ss = 0x18
        registers.fsBase = 0x7f00_0000_0000; registers.gsBase = 0xffff_8880_7fc0_0000 + UInt64(cpu) * 0x40000
        registers.ds = 0; registers.es = 0; registers.fs = 0; registers.gs = 0
        return registers
    }

    /// A VMCOREINFO text shaped like a Debian 6.1 amd64 kernel's (kernel/vmcore_info.c,
    /// arch/x86/kernel/machine_kexec_64.c), ending with CRASHTIME.
    static let vmcoreinfoText = """
        OSRELEASE=6.1.0-56-amd64
        BUILD-ID=3c1b7c6ae2d1bd67e3d94e4f2cc6e8e7f8a12b34
        PAGESIZE=4096
        SYMBOL(init_uts_ns)=ffffffff8a813400
        OFFSET(uts_namespace.name)=0
        SYMBOL(node_online_map)=ffffffff8a91b7a8
        SYMBOL(swapper_pg_dir)=ffffffff8a40a000
        SYMBOL(_stext)=ffffffff89000000
        NUMBER(VMALLOC_START)=0xffffc90000000000
        SYMBOL(vmemmap)=ffffea0000000000
        SYMBOL(mem_section)=ffff88807ffd5000
        LENGTH(mem_section)=2048
        SIZE(mem_section)=16
        OFFSET(mem_section.section_mem_map)=0
        NUMBER(SECTION_SIZE_BITS)=27
        NUMBER(MAX_PHYSMEM_BITS)=46
        SIZE(page)=64
        SIZE(pglist_data)=174528
        SIZE(zone)=1664
        SIZE(free_area)=104
        SIZE(list_head)=16
        SIZE(nodemask_t)=128
        OFFSET(page.flags)=0
        OFFSET(page._refcount)=52
        OFFSET(page.mapping)=24
        OFFSET(page.lru)=8
        OFFSET(page._mapcount)=48
        OFFSET(page.private)=40
        OFFSET(page.compound_head)=8
        OFFSET(pglist_data.node_zones)=0
        OFFSET(pglist_data.nr_zones)=173568
        LENGTH(zone.free_area)=11
        SYMBOL(prb)=ffffffff8a656f80
        SYMBOL(printk_rb_static)=ffffffff8a656fa0
        SIZE(printk_ringbuffer)=80
        OFFSET(printk_ringbuffer.desc_ring)=0
        OFFSET(printk_ringbuffer.text_data_ring)=48
        SIZE(printk_info)=88
        OFFSET(printk_info.ts_nsec)=8
        OFFSET(printk_info.text_len)=16
        NUMBER(NR_FREE_PAGES)=0
        NUMBER(PG_lru)=4
        NUMBER(PG_private)=13
        NUMBER(PG_swapcache)=10
        NUMBER(PG_swapbacked)=19
        NUMBER(PG_slab)=9
        NUMBER(PG_hwpoison)=23
        NUMBER(PG_head_mask)=65536
        NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129
        NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)=-513
        NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257
        SYMBOL(kallsyms_names)=ffffffff8a0d3a68
        SYMBOL(kallsyms_num_syms)=ffffffff8a0d3a60
        NUMBER(phys_base)=-1673527296
        SYMBOL(init_top_pgt)=ffffffff8a40a000
        NUMBER(pgtable_l5_enabled)=0
        SYMBOL(node_data)=ffffffff8a91c4e0
        LENGTH(node_data)=1024
        KERNELOFFSET=8000000
        NUMBER(KERNEL_IMAGE_SIZE)=1073741824
        NUMBER(sme_mask)=0
        CRASHTIME=1700000000

        """

    /// The PT_LOADs of the realistic core: two RAM ranges and the kernel text,
    /// which repeats part of the second RAM range (as kexec-tools writes it).
    static func realisticLoads() -> [ElfCoreWriter.Load] {
        let low = (0..<0x2000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let high = (0..<0x3000).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 1) }
        return [
            ElfCoreWriter.Load(physicalStart: 0x1000, virtualStart: 0xffff_8880_0000_1000, bytes: low),
            ElfCoreWriter.Load(physicalStart: 0x10_0000, virtualStart: 0xffff_8880_0010_0000, bytes: high,
                               memorySize: 0x5000),
            ElfCoreWriter.Load(physicalStart: 0x10_1000, virtualStart: 0xffff_ffff_8100_0000,
                               bytes: Array(high[0x1000..<0x2000])),
        ]
    }

    /// The notes of the realistic core, in /proc/vmcore order: each CPU's
    /// NT_PRSTATUS, then VMCOREINFO.
    static func realisticNotes() -> [ElfNote] {
        [PrStatus(pid: 1234, registers: .x86_64(x86_64Registers(cpu: 0))).note(byteOrder: .little),
         PrStatus(pid: 0, registers: .x86_64(x86_64Registers(cpu: 1))).note(byteOrder: .little),
         VmcoreInfo(parsing: vmcoreinfoText).note]
    }

    /// An x86_64 /proc/vmcore-like core: one merged PT_NOTE (2 CPUs' NT_PRSTATUS
    /// and VMCOREINFO) and 3 PT_LOADs.
    static func realisticCore() throws -> [UInt8] {
        try ElfCoreWriter(architecture: .x86_64, noteSegments: [ElfNote.encode(realisticNotes(), byteOrder: .little)],
                          loads: realisticLoads()).bytes()
    }

    /// A file in a fresh temporary directory holding `bytes`.
    static func write(_ bytes: [UInt8], name: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("elfnotes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    /// Runs a tool and returns (status, stdout, stderr), or nil when it is not installed.
    static func tool(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String)? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if process.terminationStatus == 127 { return nil }
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }
}

@Suite("Core fixtures")
struct CoreFixtureDump {
    /// Writes the realistic core to $VMCORE_FIXTURE_OUT when set (for poking at it by hand).
    @Test func writeWhenAsked() throws {
        guard let path = ProcessInfo.processInfo.environment["VMCORE_FIXTURE_OUT"] else { return }
        try Data(try CoreFixtures.realisticCore()).write(to: URL(fileURLWithPath: path))
    }
}
