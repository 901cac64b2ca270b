import Foundation
import KexecTestSupport
import Testing
@testable import ArchPPC
@testable import ElfNotes
@testable import KexecCore
@testable import SegmentPlanner

/// Kexec on panic on ppc64: everything in place in the crash region of the
/// running tree (/chosen linux,crashkernel-base/-size), the backup of the first
/// 64 KiB, the ELF core header, the capture kernel's tree.
@Suite("PowerPC crash loads (kdump)")
struct PPCLoaderCrashTests {
    typealias Support = PPCTestSupport
    static let region = PhysicalRange(unchecked: 0x2000_0000, 0x3000_0000)

    func plan(_ architecture: KexecArchitecture = .ppc64le, target: SyntheticPPCElfKernel.Target = .ppc64le) throws -> ValidatedPlan {
        let kernel = try Support.kernels.kernel(target)
        let input = try Support.input(kernel: kernel, architecture: architecture, tree: try Support.runningTree(), kind: .crash,
                                      commandLine: "console=hvc0 irqpoll maxcpus=1")
        return try #require(try ElfPPC64Loader().plan(input) as? ValidatedPlan)
    }

    @Test(arguments: [KexecArchitecture.ppc64le, .ppc64])
    func everythingInPlaceInsideTheCrashRegion(architecture: KexecArchitecture) throws {
        let plan = try plan(architecture, target: architecture == .ppc64le ? .ppc64le : .ppc64)
        #expect(plan.draft.violations().isEmpty)
        #expect(plan.draft.segments.map(\.role) == [.kernel, .backup, .elfcorehdr, .purgatory, .initrd, .deviceTree])
        for segment in plan.draft.segments {
            #expect(Self.region.contains(segment.destination), "\(segment.role) at \(segment.destination)")
            // RTAS sits at the top of the crash region: nothing may land on it.
            #expect(!segment.destination.overlaps(PhysicalRange(unchecked: 0x2fff_0000, 0x3000_0000)))
        }
        #expect(Self.region.contains(plan.loadRequest.entry))
        #expect(plan.loadRequest.flags == 0x15_0001)
        // The kernel at the bottom of the region, told to run there.
        let kernel = try #require(plan.draft.segments.first)
        #expect(kernel.destination.lowerBound == Self.region.lowerBound)
        let word = try ByteReader(kernel.segment.buffer, byteOrder: architecture.byteOrder).peek(UInt32.self, at: 0x5c, field: "run")
        #expect(word == 1)
        let view = try Support.PurgatoryView(plan: plan)
        #expect(try view.bytes(of: "kernel_head", count: 0xfc) == Array(kernel.segment.buffer[4..<0x100]), "the copy says 1 too")
    }

    @Test func backupAndPurgatorySymbols() throws {
        let plan = try plan()
        let backup = try #require(plan.draft.segments.first { $0.role == .backup })
        #expect(backup.destination.size == 0x10000 && backup.segment.buffer.isEmpty)
        let view = try Support.PurgatoryView(plan: plan)
        #expect(try view.word64("backup_src") == 0)
        #expect(try view.word64("backup_size") == 0x10000)
        #expect(try view.word64("backup_dest") == backup.destination.lowerBound.rawValue)
        #expect(try view.word64("kernel_entry") == Self.region.lowerBound.rawValue)
    }

    @Test(arguments: [KexecArchitecture.ppc64le, .ppc64])
    func elfcorehdrDescribesTheCrashedKernel(architecture: KexecArchitecture) throws {
        let plan = try plan(architecture, target: .ppc64le)
        let segment = try #require(plan.draft.segments.first { $0.role == .elfcorehdr })
        let backup = try #require(plan.draft.segments.first { $0.role == .backup })
        let core = try ElfObject(parsing: segment.segment.buffer)
        #expect(core.type == 4 && core.machine == 21 && core.elfClass == .elf64 && core.byteOrder == architecture.byteOrder)
        let notes = core.programHeaders.filter { $0.type == 4 }
        #expect(notes.map(\.physicalAddress) == [0x1f40_0000, 0x1f41_0000, 0x1f50_0000])
        #expect(notes.allSatisfy { $0.offset == $0.physicalAddress })
        let loads = core.programHeaders.filter { $0.type == 1 }
        // First the low 64 KiB, read from the backup copy.
        #expect(loads.first?.physicalAddress == 0 && loads.first?.memorySize == 0x10000)
        #expect(loads.first?.offset == backup.destination.lowerBound.rawValue)
        #expect(loads.allSatisfy { $0.virtualAddress == 0xc000_0000_0000_0000 + $0.physicalAddress })
        // Then all RAM of the memory nodes and dynamic memory outside the crash region, and RTAS inside it.
        let ram = loads.dropFirst().map { PhysicalRange(unchecked: PhysicalAddress($0.physicalAddress), PhysicalAddress($0.physicalAddress + $0.memorySize)) }
        let layout = try DeviceTreeMemoryLayout(tree: try Support.runningTree())
        let expected = layout.ram.subtracting(PhysicalRangeSet([Self.region, PhysicalRange(unchecked: 0, 0x10000)]))
            .union(PhysicalRangeSet([PhysicalRange(unchecked: 0x2fff_0000, 0x3000_0000)]))
        #expect(PhysicalRangeSet(ram) == expected)
        #expect(ram.last == PhysicalRange(unchecked: 0x2fff_0000, 0x3000_0000), "RTAS inside the crash region is dumped")
        // readelf agrees.
        let text = try Support.readelf(["-h", "-l", "-W"], segment.segment.buffer)
        #expect(text.contains("CORE (Core file)"))
        #expect(text.contains("PowerPC64"))
        #expect(text.components(separatedBy: "\n  NOTE").count - 1 == 3)
        #expect(text.components(separatedBy: "\n  LOAD").count - 1 == loads.count)
    }

    @Test func captureKernelTree() throws {
        let plan = try plan()
        let header = try #require(plan.draft.segments.first { $0.role == .elfcorehdr })
        let backup = try #require(plan.draft.segments.first { $0.role == .backup })
        let segment = try #require(plan.draft.segments.first { $0.role == .deviceTree })
        let blob = try DeviceTreeBlob(parsing: segment.segment.buffer)
        let chosen = try #require(blob.tree.node(at: "/chosen"))
        let line = "console=hvc0 irqpoll maxcpus=1 elfcorehdr=\(header.destination.lowerBound.rawValue / 1024)K"
        #expect(try chosen.property("bootargs")?.string() == line)
        // Usable memory: 0 .. end of the crash region, plus firmware the capture kernel still needs.
        let memory = try #require(blob.tree.node(at: "/memory@0"))
        #expect(try memory.property("linux,usable-memory")?.records(layout: [2, 2]) == [[0, 0x3000_0000]])
        // Reservations keep the crashed kernel's memory, the backup and the header.
        let reservations = blob.tree.reservations
        #expect(reservations.contains(PhysicalRange(unchecked: 0x10000, 0x2000_0000)))
        #expect(reservations.contains(backup.destination))
        #expect(reservations.contains { $0.lowerBound == header.destination.lowerBound })
        #expect(reservations.last == (try PhysicalRange(start: segment.destination.lowerBound, size: UInt64(blob.header.totalSize))))
        if DTC.isInstalled {
            let result = try DTC.decompile(segment.segment.buffer)
            #expect(result.status == 0, "\(result.errors)")
            #expect(result.text.contains("linux,usable-memory"))
            #expect(result.text.contains("bootargs = \"\(line)\";"))
        }
    }

    @Test func crashRegionGivenOutsideTheTree() throws {
        // --crash-region style override: the tree's own values are ignored.
        let kernel = try Support.kernels.kernel(.ppc64le)
        var input = try Support.input(kernel: kernel, architecture: .ppc64le, tree: try Support.runningTree(), kind: .crash)
        let region = PhysicalRange(unchecked: 0x1000_0000, 0x1800_0000)
        input.memoryMap = MemoryMap(regions: [], crashRegions: [region])
        let plan = try #require(try ElfPPC64Loader().plan(input) as? ValidatedPlan)
        #expect(plan.draft.segments.allSatisfy { region.contains($0.destination) })
    }

    @Test func refusals() throws {
        let kernel = try Support.kernels.kernel(.ppc64le)
        var input = try Support.input(kernel: kernel, architecture: .ppc64le, tree: try Support.runningTree(), kind: .crash)
        input.crashState = nil
        #expect(throws: PPCLoadError.crashLoadNeedsCrashState) { try ElfPPC64Loader().plan(input) }

        let fixed = try Support.kernels.kernel(.ppc64le, runAtLoad: 0)
        input = try Support.input(kernel: fixed, architecture: .ppc64le, tree: try Support.runningTree(), kind: .crash)
        #expect(throws: PPCLoadError.crashKernelNotRelocatable(runAtLoad: 0)) { try ElfPPC64Loader().plan(input) }

        let ppc32 = try Support.kernels.kernel(.ppc32)
        input = try Support.input(kernel: ppc32, architecture: .ppc, tree: try Support.runningTree(), kind: .crash)
        #expect(throws: PPCLoadError.crashUnsupported(.ppc)) { try ElfPPC32Loader().plan(input) }

        // No crash region anywhere.
        var tree = try Support.runningTree()
        tree.updateNode(at: "/chosen") { (chosen: inout DeviceTreeNode) in
            _ = chosen.removeProperty("linux,crashkernel-base")
            _ = chosen.removeProperty("linux,crashkernel-size")
        }
        input = try Support.input(kernel: kernel, architecture: .ppc64le, tree: tree, kind: .crash)
        #expect(throws: PlanningError.noCrashRegion) { try ElfPPC64Loader().plan(input) }
    }
}
