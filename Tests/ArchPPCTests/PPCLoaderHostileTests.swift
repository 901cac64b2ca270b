import KexecTestSupport
import Testing
@testable import ArchPPC
@testable import ElfNotes
@testable import KexecCore
@testable import SegmentPlanner

/// Kernels and trees the PowerPC loaders must refuse with a typed error.
@Suite("PowerPC ELF loaders: hostile input")
struct PPCLoaderHostileTests {
    typealias Support = PPCTestSupport
    let text = [UInt8](repeating: 0x60, count: 0x3000)

    func plan(_ kernel: [UInt8], tree: DeviceTree? = nil, blob: [UInt8]? = nil) throws -> any KexecPlan {
        var input = try Support.input(kernel: kernel, architecture: .ppc64le, tree: try tree ?? Support.runningTree())
        if let blob { input.deviceTree = blob }
        return try ElfPPC64Loader().plan(input)
    }

    func elf(machine: UInt16 = 21, class64: Bool = true, entry: UInt64 = 0xc000_0000_0000_0000,
             loads: [SyntheticElfKernel.Load]? = nil) -> [UInt8] {
        SyntheticElfKernel.make(class64: class64, machine: machine, entry: entry,
                                loads: loads ?? [.init(physical: 0, virtual: 0xc000_0000_0000_0000, bytes: text)])
    }

    @Test func aHandMadeKernelPlans() throws {
        _ = try plan(elf())
    }

    @Test func kernelRefusals() throws {
        #expect(throws: PPCLoadError.wrongMachine(62, expected: 21)) { try plan(elf(machine: 62)) }
        #expect(throws: PPCLoadError.wrongClass(.elf32, expected: .elf64)) {
            try plan(elf(class64: false, entry: 0xc000_0000, loads: [.init(physical: 0, virtual: 0xc000_0000, bytes: text)]))
        }
        #expect(throws: PPCLoadError.entryOutsideSegments(0x1234_5678)) { try plan(elf(entry: 0x1234_5678)) }
        #expect(throws: PPCLoadError.segmentsOverlap(first: 0, second: 1)) {
            try plan(elf(loads: [.init(physical: 0, virtual: 0xc000_0000_0000_0000, bytes: text),
                                 .init(physical: 0x2000, virtual: 0xc000_0000_0000_2000, bytes: text)]))
        }
        #expect(throws: PPCLoadError.imageTooLarge(span: 0x8000_3000, limit: 1 << 30)) {
            try plan(elf(loads: [.init(physical: 0, virtual: 0xc000_0000_0000_0000, bytes: text),
                                 .init(physical: 0x8000_0000, virtual: 0xc000_0000_8000_0000, bytes: text)]))
        }
        #expect(throws: PPCLoadError.noLoadableSegments) {
            try plan(elf(loads: [.init(physical: 0, virtual: 0xc000_0000_0000_0000, bytes: [], memorySize: 0)]))
        }
        var truncated = elf()
        truncated.removeLast(0x100)
        #expect(throws: PPCLoadError.self) { try plan(truncated) }
        #expect(throws: PPCLoadError.elf(.notELF(length: 3))) { try plan([1, 2, 3]) }
        // memsz too large for the RMA (768 MiB here): no hole.
        #expect(throws: PlanningError.self) {
            try plan(elf(loads: [.init(physical: 0, virtual: 0xc000_0000_0000_0000, bytes: text, memorySize: 0x3000_0000)]))
        }
    }

    @Test func treeRefusals() throws {
        let kernel = elf()
        var input = try Support.input(kernel: kernel, architecture: .ppc64le, tree: try Support.runningTree())
        input.deviceTree = nil
        #expect(throws: PPCLoadError.noDeviceTree) { try ElfPPC64Loader().plan(input) }
        #expect(throws: PPCLoadError.self) { try plan(kernel, blob: [0xd0, 0x0d, 0xfe, 0xed, 0, 0, 0, 8]) }
        // A tree without memory nodes has no RMA.
        var empty = try Support.runningTree()
        empty.root.children.removeAll { $0.name.hasPrefix("memory") || $0.name.hasPrefix("ibm,dynamic") }
        #expect(throws: PPCLoadError.noMemoryNodes) { try plan(kernel, tree: empty) }
        // A command line the tree cannot take.
        var long = try Support.input(kernel: kernel, architecture: .ppc64le, tree: try Support.runningTree())
        long.commandLine = String(repeating: "x", count: 3000)
        #expect(throws: PPCLoadError.kexecDeviceTree(.commandLineTooLong(length: 3000, limit: 2048))) {
            try ElfPPC64Loader().plan(long)
        }
    }

    @Test func probesAreCheap() {
        #expect(!PPCElfProbe.matches([], class64: true, machine: 21))
        #expect(!PPCElfProbe.matches(Array(repeating: 0, count: 64), class64: true, machine: 21))
        #expect(PPCElfProbe.matches(elf(), class64: true, machine: 21))
        #expect(!PPCElfProbe.matches(elf(), class64: false, machine: 20))
        var bigEndian = elf()
        bigEndian[5] = 2
        (bigEndian[16], bigEndian[17]) = (0, 2)
        (bigEndian[18], bigEndian[19]) = (0, 21)
        #expect(PPCElfProbe.matches(bigEndian, class64: true, machine: 21))
    }
}
