import Crypto
import Foundation
import KexecTestSupport
import Testing
@testable import ArchPPC
@testable import ElfNotes
@testable import KexecCore
@testable import SegmentPlanner

/// ELF kernels built with clang for ppc64le, big-endian ppc64 and ppc32, planned
/// against the running pseries tree of the fixtures and checked against the
/// planner's rules, the tree read back (ours and dtc), and purgatory's symbols.
@Suite("PowerPC ELF loaders")
struct PPCLoaderTests {
    typealias Support = PPCTestSupport

    static let architectures: [(SyntheticPPCElfKernel.Target, KexecArchitecture)] = [
        (.ppc64le, .ppc64le), (.ppc64, .ppc64), (.ppc32, .ppc),
    ]

    func plan(_ target: SyntheticPPCElfKernel.Target, on architecture: KexecArchitecture, kind: ImageKind = .normal,
              tree: DeviceTree? = nil) throws -> ValidatedPlan {
        let kernel = try Support.kernels.kernel(target)
        let input = try Support.input(kernel: kernel, architecture: architecture, tree: try tree ?? Support.runningTree(), kind: kind)
        let registry = ImageLoaderRegistry(ArchPPC.imageLoaders)
        let loader = try registry.loader(for: kernel, architecture: architecture)
        return try #require(try loader.plan(input) as? ValidatedPlan)
    }

    @Test func registryPicksThePowerPCLoaders() throws {
        let registry = ImageLoaderRegistry(ArchPPC.imageLoaders)
        #expect(try registry.loader(for: try Support.kernels.kernel(.ppc64le), architecture: .ppc64le).name == "elf-ppc64")
        #expect(try registry.loader(for: try Support.kernels.kernel(.ppc64), architecture: .ppc64).name == "elf-ppc64")
        #expect(try registry.loader(for: try Support.kernels.kernel(.ppc64), architecture: .ppc64le).name == "elf-ppc64",
                "a big-endian kernel from a little-endian one")
        #expect(try registry.loader(for: try Support.kernels.kernel(.ppc32), architecture: .ppc).name == "elf-ppc")
        #expect(throws: ImageLoaderError.self) { try registry.loader(for: try Support.kernels.kernel(.ppc32), architecture: .ppc64le) }
        #expect(throws: ImageLoaderError.self) { try registry.loader(for: try Support.kernels.kernel(.ppc64le), architecture: .x86_64) }
    }

    @Test(arguments: architectures)
    func normalPlanFollowsTheRules(target: SyntheticPPCElfKernel.Target, architecture: KexecArchitecture) throws {
        let plan = try plan(target, on: architecture)
        let draft = plan.draft
        #expect(draft.violations().isEmpty)
        #expect(draft.segments.map(\.role) == [.kernel, .purgatory, .initrd, .deviceTree])
        #expect(plan.loadRequest.flags == UInt64(architecture.elfMachine) << 16)
        let layout = try DeviceTreeMemoryLayout(tree: try Support.runningTree(), pageSize: draft.pageSize)
        let rma = try #require(layout.rma)
        let page = draft.pageSize.bytes
        #expect(page == (architecture.is64Bit ? 0x10000 : 0x1000))
        for segment in draft.segments {
            #expect(layout.loadableMemory.contains(segment.destination), "\(segment.role) at \(segment.destination)")
            #expect(rma.contains(segment.destination))
            #expect(segment.destination.lowerBound.rawValue % page == 0 && segment.destination.upperBound.rawValue % page == 0)
            // Above the running kernel ([0, linux,kernel-end) = 0x2a00000).
            #expect(segment.destination.lowerBound.rawValue >= 0x2a0_0000)
        }
        // The kernel lands bottom-up right after the running kernel, 64 KiB aligned.
        let kernel = try #require(draft.segments.first)
        #expect(kernel.destination.lowerBound == 0x2a0_0000)
        // Everything else stays above the kernel's final home [0, memsz) and the kernel.
        let image = try PPCKernelImage(parsing: try Support.kernels.kernel(target), elfClass: target.is64Bit ? .elf64 : .elf32,
                                       machine: target.is64Bit ? 21 : 20)
        #expect(image.memorySize == 0x3104 + 0x21804 || image.memorySize == 0x3104 + 0x21800)
        for segment in draft.segments.dropFirst() { #expect(segment.destination.lowerBound.rawValue >= image.memorySize) }
        // Entry = purgatory_start, the first byte of the purgatory segment.
        let purgatory = try #require(draft.segments.first { $0.role == .purgatory })
        #expect(draft.entry == purgatory.destination.lowerBound)
        if architecture.is64Bit {
            // ppc64: the tree in the highest hole, which is just below the crash region.
            let tree = try #require(draft.segments.last)
            #expect(tree.destination.upperBound == 0x2000_0000)
        } else {
            // ppc32: the tree in the lowest hole after the kernel's final home, the initrd top-down below 768 MiB.
            let tree = try #require(draft.segments.last)
            #expect(tree.destination.lowerBound < 0x2000_0000)
            #expect(draft.segments.allSatisfy { $0.destination.upperBound.rawValue <= PPCImageLayout.ppc32LowMemoryEnd })
        }
    }

    @Test(arguments: architectures)
    func kernelSegmentHoldsBothLoadsAtTheirOffsets(target: SyntheticPPCElfKernel.Target, architecture: KexecArchitecture) throws {
        let plan = try plan(target, on: architecture)
        let kernel = try #require(plan.draft.segments.first { $0.role == .kernel })
        let bytes = kernel.segment.buffer
        #expect(bytes.count == 0x3104 + (target.is64Bit ? 0x1804 : 0x1800))
        #expect(Array(bytes[0x100..<0x104]) != [0, 0, 0, 0], "the head's code")
        #expect(bytes[0x3103] == 0x60 && bytes[0x3104] == 0xd5, "text then data, adjacent PT_LOADs")
        #expect(kernel.segment.memorySize >= 0x3104 + 0x21800)
        // A normal load keeps "run0": the kernel copies itself to 0.
        let word = try ByteReader(bytes, byteOrder: target.isBigEndian ? .big : .little).peek(UInt32.self, at: 0x5c, field: "run")
        #expect(word == 0x7275_6e30)
    }

    @Test(arguments: architectures)
    func purgatorySymbolsDescribeThePlan(target: SyntheticPPCElfKernel.Target, architecture: KexecArchitecture) throws {
        let plan = try plan(target, on: architecture)
        let segments = plan.draft.segments
        let view = try Support.PurgatoryView(plan: plan)
        let kernel = try #require(segments.first { $0.role == .kernel })
        let tree = try #require(segments.first { $0.role == .deviceTree })
        #expect(try view.word64("kernel_entry") == kernel.destination.lowerBound.rawValue)
        #expect(try view.word64("device_tree") == tree.destination.lowerBound.rawValue)
        let options = try view.word32("purgatory_options")
        #expect(options & 1 == 1, "verify")
        #expect(options & 4 == (architecture.is64Bit ? 4 : 0), "the tree lists hcall-term: a console on ppc64")
        #expect(try view.word64("backup_size") == 0)
        // The regions are every segment but purgatory, and the digest is theirs.
        var hasher = SHA256()
        var expected: [PhysicalRange] = []
        for segment in segments where segment.role != .purgatory {
            expected.append(segment.destination)
            hasher.update(data: segment.segment.buffer)
            hasher.update(data: [UInt8](repeating: 0, count: Int(segment.segment.memorySize - segment.segment.bufferSize)))
        }
        for (index, region) in expected.enumerated() {
            #expect(try view.word64("sha256_regions", at: 2 * index) == region.lowerBound.rawValue)
            #expect(try view.word64("sha256_regions", at: 2 * index + 1) == region.size)
        }
        #expect(try view.word64("sha256_regions", at: 2 * expected.count + 1) == 0, "a zero length ends the table")
        #expect(try view.bytes(of: "sha256_digest", count: 32) == Array(hasher.finalize()))
        // kernel_head: the kernel's bytes 4..0x100; word 0 still branches to the master path.
        #expect(try view.bytes(of: "kernel_head", count: 0xfc) == Array(kernel.segment.buffer[4..<0x100]))
        let branch = try ByteReader(view.bytes, byteOrder: architecture.byteOrder).peek(UInt32.self, at: 0, field: "b")
        #expect(branch >> 26 == 18 && branch & 3 == 0, "an unconditional relative branch")
        #expect(Int(branch & 0x03ff_fffc) == 0x100, "to the master path right after the copied block")
    }

    @Test(arguments: architectures)
    func deviceTreeReadsBackWithOurParserAndDTC(target: SyntheticPPCElfKernel.Target, architecture: KexecArchitecture) throws {
        let plan = try plan(target, on: architecture)
        let segment = try #require(plan.draft.segments.first { $0.role == .deviceTree })
        let initrd = try #require(plan.draft.segments.first { $0.role == .initrd })
        let blob = try DeviceTreeBlob(parsing: segment.segment.buffer)
        let chosen = try #require(blob.tree.node(at: "/chosen"))
        #expect(try chosen.property("bootargs")?.string() == "console=hvc0 marker=ppc")
        #expect(try chosen.property("linux,initrd-start")?.u64() == initrd.destination.lowerBound.rawValue)
        #expect(try chosen.property("linux,initrd-end")?.u64() == initrd.destination.lowerBound.rawValue + 300_000)
        #expect(chosen.property("linux,kernel-end") == nil && chosen.property("linux,crashkernel-base") == nil)
        let own = try PhysicalRange(start: segment.destination.lowerBound, size: UInt64(blob.header.totalSize))
        #expect(blob.tree.reservations.last == own)
        #expect(blob.tree.reservations.contains(try PhysicalRange(start: initrd.destination.lowerBound, size: 300_000)))
        #expect(blob.tree.reservations.contains(PhysicalRange(unchecked: 0x2fff_0000, 0x3000_0000)), "RTAS")
        guard DTC.isInstalled else {
            Issue.record("dtc (device-tree-compiler) is needed to check the blob independently")
            return
        }
        let result = try DTC.decompile(segment.segment.buffer)
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.text.contains("bootargs = \"console=hvc0 marker=ppc\";"))
        #expect(result.text.contains("linux,booted-from-kexec;"))
        func hex16(_ value: UInt64) -> String {
            let digits = String(value, radix: 16)
            return "0x" + String(repeating: "0", count: 16 - digits.count) + digits
        }
        #expect(result.text.contains("/memreserve/\t\(hex16(own.lowerBound.rawValue)) \(hex16(own.size));"))
        #expect(result.text.contains("/memreserve/\t\(hex16(initrd.destination.lowerBound.rawValue)) \(hex16(300_000));"))
    }

    @Test func bigEndianKernelFromLittleEndianKernel() throws {
        let plan = try plan(.ppc64, on: .ppc64le)
        let view = try Support.PurgatoryView(plan: plan)
        #expect(view.byteOrder == .little, "purgatory follows the running kernel")
        let kernel = try #require(plan.draft.segments.first { $0.role == .kernel })
        // The head copy keeps the kernel's own (big-endian) bytes.
        #expect(try view.bytes(of: "kernel_head", count: 0xfc) == Array(kernel.segment.buffer[4..<0x100]))
        #expect(Array(kernel.segment.buffer[0x5c..<0x60]) == [0x72, 0x75, 0x6e, 0x30])
    }

    @Test func entryOffsetFollowsEEntry() throws {
        let kernel = try Support.kernels.kernel(.ppc64le, entryOffset: 0x100)
        let plan = try #require(try ElfPPC64Loader().plan(try Support.input(kernel: kernel, architecture: .ppc64le,
                                                                             tree: try Support.runningTree())) as? ValidatedPlan)
        let base = try #require(plan.draft.segments.first { $0.role == .kernel }).destination.lowerBound.rawValue
        #expect(try Support.PurgatoryView(plan: plan).word64("kernel_entry") == base + 0x100)
    }

    @Test func progressNeedsTheHypervisorConsole() throws {
        let kernel = try Support.kernels.kernel(.ppc64le)
        var input = try Support.input(kernel: kernel, architecture: .ppc64le, tree: try Support.runningTree())
        input.purgatorySerialConsole = true
        let withConsole = try #require(try ElfPPC64Loader().plan(input) as? ValidatedPlan)
        #expect(try Support.PurgatoryView(plan: withConsole).word32("purgatory_options") == 7)
        input.deviceTree = try Support.runningTree(console: false).flattened()
        let without = try #require(try ElfPPC64Loader().plan(input) as? ValidatedPlan)
        #expect(try Support.PurgatoryView(plan: without).word32("purgatory_options") == 1, "no hcall-term: silent")
    }

    @Test func qemuPseriesBlobs() throws {
        // The blobs qemu makes before firmware runs: no running kernel, no RTAS address yet.
        for name in ["pseries-1g", "pseries-2g-smp4", "pseries-numa"] {
            let tree = try PPCFixtures.tree(name)
            let plan = try self.plan(.ppc64le, on: .ppc64le, tree: tree)
            #expect(plan.draft.violations().isEmpty, "\(name)")
            let layout = try DeviceTreeMemoryLayout(tree: tree)
            let rma = try #require(layout.rma)
            #expect(plan.draft.segments.allSatisfy { rma.contains($0.destination) }, "\(name)")
            #expect(try Support.PurgatoryView(plan: plan).word32("purgatory_options") == 5, "\(name): qemu lists hcall-term")
        }
    }

    @Test func corruptedSegmentNoLongerMatchesTheDigest() throws {
        let kernel = try Support.kernels.kernel(.ppc64le)
        var input = try Support.input(kernel: kernel, architecture: .ppc64le, tree: try Support.runningTree())
        input.corruptSegmentForTesting = 2
        let plan = try #require(try ElfPPC64Loader().plan(input) as? ValidatedPlan)
        let view = try Support.PurgatoryView(plan: plan)
        let recomputed = plan.draft.purgatoryDigest(excluding: [1]).digest
        #expect(try view.bytes(of: "sha256_digest", count: 32) != recomputed)
        input.corruptSegmentForTesting = 9
        #expect(throws: PPCLoadError.corruptSegmentOutOfRange(9)) { try ElfPPC64Loader().plan(input) }
    }

    @Test func planFileRoundTrip() throws {
        let plan = try plan(.ppc64le, on: .ppc64le)
        let file = PlanFile.encode(plan.loadRequest, architecture: .ppc64le)
        let decoded = try PlanFile.decode(file)
        #expect(decoded.machine == 21 && decoded.entry == plan.loadRequest.entry)
        #expect(decoded.segments == plan.loadRequest.segments)
    }
}
