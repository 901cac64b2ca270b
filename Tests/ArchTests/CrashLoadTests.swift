import Foundation
import KexecTestSupport
import Testing
@testable import ArchI386
@testable import ArchX86_64
@testable import ElfNotes
@testable import KexecCore
@testable import SegmentPlanner

@Suite("Crash loads (kdump) on x86")
struct CrashLoadTests {
    static let state = CrashState(
        cpuNotes: [PhysicalRange(unchecked: 0x7fc1_c000, 0x7fc1_c400), PhysicalRange(unchecked: 0x7fc5_c000, 0x7fc5_c400)],
        vmcoreinfo: PhysicalRange(unchecked: 0x3a40_4000, 0x3a40_5000),
        kernelText: (PhysicalRange(unchecked: 0x3880_0000, 0x3960_0000), 0xffff_ffff_9a80_0000),
        pageOffset: CrashState.defaultPageOffsetX86_64)

    func plan() throws -> (ValidatedPlan, MemoryMap) {
        let map = try ArchFixtures.map("qemu-x86_64-2G-crashkernel-256M")
        let input = ImageLoadInput(kernel: SyntheticBzImage.make(), initrd: [UInt8](repeating: 7, count: 9000),
                                   commandLine: "console=ttyS0 irqpoll", kind: .crash, architecture: .x86_64,
                                   memoryMap: map, firmwareMap: try ArchFixtures.memmap("qemu-x86_64-2G"), crashState: Self.state)
        let plan = try #require(try BzImage64Loader().plan(input) as? ValidatedPlan)
        return (plan, map)
    }

    @Test func everythingInPlaceInsideTheCrashRegion() throws {
        let (plan, map) = try plan()
        let region = try #require(map.loadableCrashRegion)
        #expect(plan.draft.segments.map(\.role) == [.purgatory, .elfcorehdr, .bootParams, .kernel, .initrd])
        for segment in plan.draft.segments { #expect(region.contains(segment.destination)) }
        #expect(region.contains(plan.loadRequest.entry))
        #expect(plan.loadRequest.flags == 0x3e_0001)
    }

    @Test func elfcorehdrDescribesTheCrashedKernel() throws {
        let (plan, map) = try plan()
        let segment = try #require(plan.draft.segments.first { $0.role == .elfcorehdr })
        let core = try ElfObject(parsing: segment.segment.buffer)
        #expect(core.type == 4 && core.machine == 62 && core.elfClass == .elf64)
        let notes = core.programHeaders.filter { $0.type == 4 }
        #expect(notes.map(\.physicalAddress) == [0x7fc1_c000, 0x7fc5_c000, 0x3a40_4000])
        #expect(notes.allSatisfy { $0.offset == $0.physicalAddress })
        let loads = core.programHeaders.filter { $0.type == 1 }
        #expect(loads.first?.virtualAddress == 0xffff_ffff_9a80_0000 && loads.first?.physicalAddress == 0x3880_0000)
        // System RAM minus the crash region, each mapped at PAGE_OFFSET + paddr.
        let ram = loads.dropFirst().map { PhysicalRange(unchecked: PhysicalAddress($0.physicalAddress), PhysicalAddress($0.physicalAddress + $0.memorySize)) }
        #expect(PhysicalRangeSet(ram) == map.systemRAM.subtracting(PhysicalRangeSet(map.crashRegions)))
        #expect(loads.dropFirst().allSatisfy { $0.virtualAddress == 0xffff_8880_0000_0000 + $0.physicalAddress })
        // readelf agrees there are 3 notes and 4 loads.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("elfcorehdr-\(UUID().uuidString)")
        try Data(segment.segment.buffer).write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["readelf", "-l", "-W", path.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(text.contains("Elf file type is CORE"))
        #expect(text.components(separatedBy: "\n  NOTE").count - 1 == 3)
        #expect(text.components(separatedBy: "\n  LOAD").count - 1 == 4)
    }

    @Test func captureKernelCommandLineAndMemoryMap() throws {
        let (plan, map) = try plan()
        let header = try #require(plan.draft.segments.first { $0.role == .elfcorehdr })
        let params = try #require(plan.draft.segments.first { $0.role == .bootParams }).segment.buffer
        let line = String(decoding: params[4096...].prefix { $0 != 0 }, as: UTF8.self)
        #expect(line == "console=ttyS0 irqpoll elfcorehdr=\(header.destination.lowerBound.rawValue / 1024)K")
        // e820: low RAM, firmware reserved regions, crash region as RAM minus the elfcorehdr.
        let count = Int(params[0x1e8])
        var ram: [PhysicalRange] = []
        for index in 0..<count {
            let base = 0x2d0 + index * 20
            let address = params[base..<base + 8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * $1.offset) }
            let size = params[base + 8..<base + 16].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * $1.offset) }
            if params[base + 16] == 1 { ram.append(PhysicalRange(unchecked: PhysicalAddress(address), PhysicalAddress(address + size))) }
        }
        let region = try #require(map.loadableCrashRegion)
        let expected = PhysicalRangeSet([PhysicalRange(unchecked: 0x1000, 0x9fc00), region]).subtracting(header.destination)
        #expect(PhysicalRangeSet(ram) == expected)
    }

    @Test func elf32HeadersRefuseMemoryAbove4GiB() throws {
        var state = Self.state
        state.kernelText = nil
        state.pageOffset = 0xc000_0000
        let low = PhysicalRangeSet([PhysicalRange(unchecked: 0x1000, 0x9fc00)])
        let header = try ElfCoreHeaderBuilder.build(architecture: .i386, crash: state, memory: low)
        #expect(header.count == 52 + 32 * 4 && header[4] == 1 && header[18] == 3)
        let high = PhysicalRangeSet([PhysicalRange(unchecked: 0x1_0000_0000, 0x1_4000_0000)])
        #expect(throws: ElfCoreError.self) { try ElfCoreHeaderBuilder.build(architecture: .i386, crash: state, memory: high) }
    }

    @Test func pageOffsetFromKcore() throws {
        // ELF64 header + 3 PT_LOADs as /proc/kcore lists them: text (p_paddr of the
        // symbol), vmalloc (p_paddr -1), then the first RAM range in the direct map.
        var bytes = [UInt8](repeating: 0, count: 64 + 3 * 56)
        func put(_ value: UInt64, _ offset: Int, _ width: Int) {
            for index in 0..<width { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))) }
        }
        bytes.replaceSubrange(0..<6, with: [0x7f, 0x45, 0x4c, 0x46, 2, 1])
        put(64, 0x20, 8)
        put(3, 0x38, 2)
        let entries: [(UInt64, UInt64)] = [(0xffff_ffff_b1e0_0000, 0x600_0000), (0xffff_c900_0000_0000, UInt64.max),
                                           (0xffff_8ab3_c000_1000, 0x1000)]
        for (index, entry) in entries.enumerated() {
            put(1, 64 + index * 56, 4)
            put(entry.0, 64 + index * 56 + 16, 8)
            put(entry.1, 64 + index * 56 + 24, 8)
        }
        put(0x343_0000, 64 + 40, 8)  // the text entry's p_memsz
        #expect(CrashState.pageOffset(kcoreHeader: bytes) == 0xffff_8ab3_c000_0000)
        let layout = CrashState.kcoreLayout(header: bytes)
        #expect(layout.text?.physical == PhysicalRange(unchecked: 0x600_0000, 0x943_0000))
        #expect(layout.text?.virtualStart == 0xffff_ffff_b1e0_0000)
        #expect(CrashState.pageOffset(kcoreHeader: Array(bytes[0..<100])) == nil)
        #expect(CrashState.pageOffset(kcoreHeader: []) == nil)
    }

    @Test func crashStateTexts() throws {
        #expect(try CrashState.parseVmcoreinfo("3a404000 1024\n") == PhysicalRange(unchecked: 0x3a40_4000, 0x3a40_5024))
        #expect(try CrashState.parseCrashNotes(address: "7fc1c000\n", size: "1024\n", cpu: 0) == PhysicalRange(unchecked: 0x7fc1_c000, 0x7fc1_c400))
        #expect(throws: CrashStateError.self) { try CrashState.parseVmcoreinfo("garbage") }
        #expect(throws: CrashStateError.self) { try CrashState.parseCrashNotes(address: "zz", size: "1", cpu: 3) }
        #expect(CrashState.parseStext(kallsyms: "ffffffff9a800000 T _text\nffffffff9a800000 T _stext\n") == 0xffff_ffff_9a80_0000)
        #expect(CrashState.parseStext(kallsyms: "0000000000000000 T _stext\n") == nil)
    }
}
