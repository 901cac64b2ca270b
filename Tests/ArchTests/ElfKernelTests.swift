import KexecTestSupport
import Testing
@testable import ArchI386
@testable import ArchX86_64
@testable import ElfNotes
@testable import KexecCore
@testable import SegmentPlanner

@Suite("ELF kernels")
struct ElfKernelTests {
    func input(_ kernel: [UInt8], architecture: KexecArchitecture = .x86_64) throws -> ImageLoadInput {
        ImageLoadInput(kernel: kernel, initrd: [1, 2, 3], commandLine: "console=ttyS0", kind: .normal,
                       architecture: architecture, memoryMap: try ArchFixtures.map("qemu-x86_64-2G"))
    }

    let text = [UInt8](repeating: 0x90, count: 0x3000)
    let data = [UInt8](repeating: 0x11, count: 0x900)

    @Test func vmlinuxSegmentsLandAtTheirPhysicalAddresses() throws {
        // Like an x86_64 vmlinux: virtual 0xffffffff81000000 + x, physical 0x1000000 + x; the
        // data segment starts mid-page, sharing a page with the text's end.
        let kernel = SyntheticElfKernel.make(entry: 0x100_0000, loads: [
            .init(physical: 0x100_0000, virtual: 0xffff_ffff_8100_0000, bytes: [UInt8](repeating: 0x90, count: 0x3400)),
            .init(physical: 0x100_3800, virtual: 0xffff_ffff_8100_3800, bytes: data, memorySize: 0x2000),
        ])
        let registry = ImageLoaderRegistry(ArchX86_64.imageLoaders)
        let loader = try registry.loader(for: kernel, architecture: .x86_64)
        #expect(loader.name == "elf-x86_64")
        let plan = try #require(try loader.plan(try input(kernel)) as? ValidatedPlan)
        let kernels = plan.draft.segments.filter { $0.role == .kernel }
        #expect(kernels.count == 1, "the two PT_LOADs share a page and merge")
        #expect(kernels[0].destination == (try PhysicalRange(start: 0x100_0000, end: 0x100_6000)))
        #expect(kernels[0].segment.buffer[0x37ff] == 0 && kernels[0].segment.buffer[0x3800] == 0x11)
    }

    @Test func virtualEntryIsTranslated() throws {
        let kernel = SyntheticElfKernel.make(entry: 0xffff_ffff_8100_0040, loads: [
            .init(physical: 0x100_0000, virtual: 0xffff_ffff_8100_0000, bytes: text),
        ])
        let plan = try ElfKernelLayout.plan(try input(kernel), purgatoryObject: PurgatoryObjectX86_64.bytes, machine: 62, entry: .bits64)
        #expect(plan.draft.segments.contains { $0.role == .kernel && $0.destination.lowerBound == 0x100_0000 })
    }

    @Test func i386ElfKernels() throws {
        let kernel = SyntheticElfKernel.make(class64: false, machine: 3, entry: 0x100_0000, loads: [.init(physical: 0x100_0000, bytes: text)])
        let i386 = try ImageLoaderRegistry(ArchI386.imageLoaders).loader(for: kernel, architecture: .i386)
        #expect(i386.name == "elf-x86")
        _ = try i386.plan(try input(kernel, architecture: .i386))
        let onX86_64 = try ImageLoaderRegistry(ArchX86_64.imageLoaders).loader(for: kernel, architecture: .x86_64)
        #expect(onX86_64.name == "elf-x86")
        _ = try onX86_64.plan(try input(kernel))
    }

    @Test func hostileElfKernels() throws {
        let overlapping = SyntheticElfKernel.make(entry: 0x100_0000, loads: [
            .init(physical: 0x100_0000, bytes: text), .init(physical: 0x100_2000, bytes: data),
        ])
        #expect(throws: ElfKernelError.segments(.piecesOverlap(first: 0, second: 1))) {
            try ElfKernelLayout.plan(try input(overlapping), purgatoryObject: PurgatoryObjectX86_64.bytes, machine: 62, entry: .bits64)
        }
        let wrongMachine = SyntheticElfKernel.make(machine: 3, entry: 0x100_0000, loads: [.init(physical: 0x100_0000, bytes: text)])
        #expect(throws: ElfKernelError.wrongMachine(3, expected: 62)) {
            try ElfKernelLayout.plan(try input(wrongMachine), purgatoryObject: PurgatoryObjectX86_64.bytes, machine: 62, entry: .bits64)
        }
        let noEntry = SyntheticElfKernel.make(entry: 0x5000_0000, loads: [.init(physical: 0x100_0000, bytes: text)])
        #expect(throws: ElfKernelError.entryOutsideSegments(0x5000_0000)) {
            try ElfKernelLayout.plan(try input(noEntry), purgatoryObject: PurgatoryObjectX86_64.bytes, machine: 62, entry: .bits64)
        }
        let outsideRAM = SyntheticElfKernel.make(entry: 0x9000_0000, loads: [.init(physical: 0x9000_0000, bytes: text)])
        #expect(throws: PlanningError.self) {
            try ElfKernelLayout.plan(try input(outsideRAM), purgatoryObject: PurgatoryObjectX86_64.bytes, machine: 62, entry: .bits64)
        }
        var truncated = SyntheticElfKernel.make(entry: 0x100_0000, loads: [.init(physical: 0x100_0000, bytes: text)])
        truncated.removeLast(0x100)
        #expect(throws: ElfError.self) {
            try ElfKernelLayout.plan(try input(truncated), purgatoryObject: PurgatoryObjectX86_64.bytes, machine: 62, entry: .bits64)
        }
        var load = SyntheticElfKernel.Load(physical: 0x100_0000, bytes: text)
        load.memorySize = 0x1000  // p_filesz > p_memsz
        let fileBiggerThanMemory = SyntheticElfKernel.make(entry: 0x100_0000, loads: [load])
        #expect(throws: ElfError.self) {
            try ElfKernelLayout.plan(try input(fileBiggerThanMemory), purgatoryObject: PurgatoryObjectX86_64.bytes, machine: 62, entry: .bits64)
        }
    }
}
