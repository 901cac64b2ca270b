import Foundation
import Testing
@testable import CrashDump
import ElfNotes
import KexecCore
import SystemPackage

/// The kernel layer against real VMCOREINFO (the committed fixture) and, when the
/// VM tests have made them, real vmcores with makedumpfile's report beside them.
@Suite("Kernel layer on real data")
struct KernelRealVmcoreTests {
    static let directory = "/var/cache/kexec-suite/vmcore"
    static let fixture = VmcoreInfo(parsing: KernelVmcoreInfoFixture.debian6_1Text)

    @Test("Debian 6.1 VMCOREINFO: page descriptor layout of the 4.18...6.5 era")
    func fixtureLayout() throws {
        try Self.fixture.validate()
        let layout = try PageDescriptorLayout(vmcoreInfo: Self.fixture)
        #expect(layout.kernelVersion == KernelVersion(6, 1, 0))
        #expect(layout.size == 64)
        #expect(layout.flagsOffset == 0 && layout.mappingOffset == 24 && layout.privateOffset == 40)
        #expect(layout.mapcountOffset == 48 && layout.compoundHeadOffset == 8)
        #expect(layout.buddy == .mapcount(-129))
        #expect(layout.offlineMapcount == -257)
        #expect(layout.slabBit == 9 && layout.slabMapcount == nil)
        #expect(layout.lruBit == 4 && layout.privateBit == 13 && layout.swapCacheBit == 10 && layout.swapBackedBit == 19)
        #expect(layout.hwpoisonBit == 23)
        #expect(layout.headMask == 1 << 16)
        #expect(layout.freeAreaOrders == 11)
        #expect(layout.compound == .tailFields(orderOffset: 17, orderWidth: 1, destructorOffset: 16, destructorWidth: 1,
                                               hugetlbDestructor: 2, hugetlbDestructorAddress: nil))
        #expect(layout.assumptions.isEmpty)
    }

    @Test("Debian 6.1 VMCOREINFO: x86_64 translation parameters")
    func fixtureTranslation() throws {
        let memory = KernelTestMemory(frames: [0..<16])
        let kernel = try X86_64KernelMemory(physical: memory, vmcoreInfo: Self.fixture,
                                            directMapBase: 0xffff_8dd9_8000_0000, verify: false)
        // init_top_pgt - __START_KERNEL_map + phys_base.
        let initTopPgt: UInt64 = 0xffff_ffff_9761_0000
        #expect(kernel.pageTableRoot == initTopPgt - X86_64KernelMemory.kernelTextMapStart + 0xe00_0000)
        #expect(kernel.physBase == 0xe00_0000)
        #expect(!kernel.fiveLevel)
        #expect(kernel.kernelImageSize == 1 << 30)
        #expect(kernel.directMapSize == 1 << 30)  // 16 frames of RAM, rounded up to 1 GiB
        // _stext through the text map: KASLR moved it to physical 0x23c00000, the kernel-text PT_LOAD's p_paddr.
        let stext: UInt64 = 0xffff_ffff_95c0_0000
        #expect(try kernel.translate(stext) == 0x23c0_0000)
    }

    @Test("Debian 6.1 VMCOREINFO: SPARSEMEM_EXTREME with 32-byte mem_section")
    func fixtureSparsemem() throws {
        let directMap: UInt64 = 0xffff_8dd9_8000_0000
        let memory = KernelTestMemory(frames: [0x100..<0x110, 0x2ffd0..<0x2ffe0])
        // mem_section roots at 0x2ffd2000 (SYMBOL(mem_section) - PAGE_OFFSET); root 0 -> 0x2ffd3000.
        memory.write64(directMap + 0x2ffd_3000, at: 0x2ffd_2000)
        memory.write64(0xffff_f904_8000_0000 | 0x1f, at: 0x2ffd_3000)
        let kernel = LinearTestKernelMemory(physical: memory, base: directMap)
        let memMap = try SparseMemMap(kernel: kernel, vmcoreInfo: Self.fixture, maxPFN: 0x2ffda)
        #expect(memMap.isExtreme)
        #expect(memMap.sectionsPerRoot == 128)
        #expect(memMap.memSectionSize == 32)
        #expect(memMap.pagesPerSection == 0x8000)
        // makedumpfile: mem_map[0] fffff90480000000, pfn 0...0x8000.
        #expect(try memMap.pageDescriptorAddress(of: 0) == 0xffff_f904_8000_0000)
        #expect(try memMap.pageDescriptorAddress(of: 0x10) == 0xffff_f904_8000_0400)
        #expect(try memMap.pageDescriptorAddress(of: 0x8000) == nil)
    }

    // MARK: the vmcores

    /// makedumpfile's counts and page array from its `--message-level 31` report.
    struct MakedumpfileReport {
        var counts: [String: UInt64] = [:]
        var memMaps: [(address: UInt64, pfns: Range<UInt64>)] = []

        init?(path: String) {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if parts.count == 2, parts[1].hasPrefix("0x"), let value = UInt64(parts[1].dropFirst(2), radix: 16) {
                    counts[parts[0]] = value
                }
                if line.hasPrefix("mem_map[") {
                    let fields = line.split(separator: "]").last?.split(separator: " ") ?? []
                    if fields.count == 3, let address = UInt64(fields[0], radix: 16), let start = UInt64(fields[1], radix: 16),
                       let end = UInt64(fields[2], radix: 16) {
                        memMaps.append((address, start..<end))
                    }
                }
            }
        }
    }

    struct Vmcore {
        let core: ElfCore
        let info: VmcoreInfo
        let physical: KernelElfTestMemory
        let kernel: X86_64KernelMemory

        init?(name: String) throws {
            let path = "\(KernelRealVmcoreTests.directory)/\(name).elf"
            guard FileManager.default.fileExists(atPath: "\(KernelRealVmcoreTests.directory)/READY-\(name)"),
                  FileManager.default.fileExists(atPath: path) else { return nil }
            core = try ElfCore.open(FilePath(path))
            guard let info = core.vmcoreInfo else { return nil }
            self.info = info
            physical = KernelElfTestMemory(core: core)
            kernel = try X86_64KernelMemory(physical: physical, vmcoreInfo: info,
                                            directMapBase: X86_64KernelMemory.directMapBase(fromLoads: core.loads))
        }
    }

    @Test("translations: fast paths agree with the page tables; the page array is where makedumpfile found it",
          arguments: ["small", "big"])
    func translations(name: String) throws {
        guard let vmcore = try Vmcore(name: name) else { return }
        let kernel = vmcore.kernel
        // The kernel-text PT_LOAD maps _stext; the text map must agree, and so must a walk.
        let stext = try vmcore.info.requiredSymbol("_stext", for: "test")
        let textLoad = try #require(vmcore.core.loads.first { $0.isKernelText })
        #expect(textLoad.virtualStart.rawValue == stext)
        #expect(try kernel.translate(stext) == textLoad.physical.lowerBound.rawValue)
        #expect(try kernel.walk(stext).physical(for: stext) == textLoad.physical.lowerBound.rawValue)
        // Direct map: every RAM PT_LOAD's p_vaddr walks to its p_paddr.
        for load in vmcore.core.loads where !load.isKernelText {
            for offset: UInt64 in [0, 0x1000, load.physical.size / 2 & ~0xfff, (load.physical.size - 1) & ~0xfff] {
                let virtual = load.virtualStart.rawValue + offset
                #expect(try kernel.walk(virtual).physical(for: virtual) == load.physical.lowerBound.rawValue + offset)
            }
        }
        // vmalloc: the first vmap_area's va_start is mapped through the page tables, not a fast path.
        let list = try vmcore.info.requiredSymbol("vmap_area_list", for: "test")
        let next = try kernel.read(virtual: list, count: 8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let area = next - (try vmcore.info.requiredOffset("vmap_area", "list", for: "test"))
        let vaStart = try kernel.read(virtual: area + (try vmcore.info.requiredOffset("vmap_area", "va_start", for: "test")),
                                      count: 8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        #expect(vaStart >= (try #require(kernel.directMapBase)) + kernel.directMapSize && vaStart < 0xffff_ffff_8000_0000)
        let vmalloc = try kernel.mapping(of: vaStart)
        #expect(vmalloc.source == .pageTable(level: 1))
        #expect(vmcore.physical.contains(pfn: vmalloc.physicalStart / 4096))
        // Without PT_LOADs PAGE_OFFSET is found again from the page tables.
        let walking = try X86_64KernelMemory(physical: vmcore.physical, vmcoreInfo: vmcore.info, directMapBase: nil)
        #expect(walking.inferredDirectMapBase(vmcoreInfo: vmcore.info) == kernel.directMapBase)
        // The page array: makedumpfile's mem_map addresses, and vmemmap walks to RAM.
        let classifier = try PageClassifier(kernel: kernel, vmcoreInfo: vmcore.info)
        let report = try #require(MakedumpfileReport(path: "\(Self.directory)/\(name).makedumpfile-d31.txt"))
        #expect(!report.memMaps.isEmpty)
        for entry in report.memMaps {
            #expect(try classifier.memMap.pageDescriptorAddress(of: entry.pfns.lowerBound) == entry.address)
            let physicalAddress = try kernel.translate(entry.address)
            #expect(vmcore.physical.contains(pfn: physicalAddress / 4096))
            // The same bytes through vmemmap and through the direct map.
            let viaVmemmap = try kernel.read(virtual: entry.address, count: 256)
            let viaDirectMap = try kernel.read(virtual: try #require(kernel.directMapBase) + physicalAddress, count: 256)
            #expect(viaVmemmap == viaDirectMap)
        }
    }

    @Test("page classes at dump level 31 agree with makedumpfile 1.7.2", arguments: ["small", "big"])
    func makedumpfileCounts(name: String) throws {
        guard let vmcore = try Vmcore(name: name),
              let report = MakedumpfileReport(path: "\(Self.directory)/\(name).makedumpfile-d31.txt") else { return }
        let classifier = try PageClassifier(kernel: vmcore.kernel, vmcoreInfo: vmcore.info)
        let clock = ContinuousClock()
        let start = clock.now
        let stats = try classifier.statistics(level: .all)
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let frames = vmcore.physical.maxPFN
        print("\(name): \(frames) frames classified in \(seconds) s (\(Int(Double(frames) / seconds)) frames/s, debug build)")
        print(stats)
        #expect(stats.makedumpfileCachePages == report.counts["Non-private cache pages"])
        #expect(stats.makedumpfileCachePrivatePages == report.counts["Private cache pages"])
        #expect(stats.makedumpfileUserPages == report.counts["User process data pages"])
        #expect(stats.makedumpfileFreePages == report.counts["Free pages"])
        #expect(stats.makedumpfileHwpoisonPages == report.counts["Hwpoison pages"])
        #expect(stats.makedumpfileOfflinePages == report.counts["Offline pages"])
        // Odd-sized cycles cut free blocks and compound pages: the looked-back blocks give the same counts.
        if name == "small" {
            #expect(try classifier.statistics(level: .all, cycleFrames: 4099) == stats)
        }
    }

    @Test("every dump level agrees with makedumpfile --dry-run", arguments: [0, 2, 4, 8, 16, 24])
    func levels(level: Int) throws {
        let tool = "/usr/bin/makedumpfile"
        guard FileManager.default.isExecutableFile(atPath: tool), let vmcore = try Vmcore(name: "small") else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("kernel-layer-\(level)-\(getpid()).txt")
        process.arguments = ["-d", "\(level)", "-l", "--message-level", "31", "--dry-run",
                             "\(Self.directory)/small.elf", output.path + ".dump"]
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        let report = try #require(MakedumpfileReport(path: output.path))
        let stats = try PageClassifier(kernel: vmcore.kernel, vmcoreInfo: vmcore.info)
            .statistics(level: try #require(DumpLevel(level: level)))
        #expect(stats.makedumpfileCachePages == report.counts["Non-private cache pages"])
        #expect(stats.makedumpfileCachePrivatePages == report.counts["Private cache pages"])
        #expect(stats.makedumpfileUserPages == report.counts["User process data pages"])
        #expect(stats.makedumpfileFreePages == report.counts["Free pages"])
        #expect(stats.makedumpfileHwpoisonPages == report.counts["Hwpoison pages"])
        #expect(stats.makedumpfileOfflinePages == report.counts["Offline pages"])
    }
}
