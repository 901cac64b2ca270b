import Foundation
import KexecTestSupport
import Testing
@testable import KexecCore
@testable import SegmentPlanner

@Suite("Hole finding")
struct HoleFinderTests {
    let free = PhysicalRangeSet([range(0x1000, 0x9f000), range(0x100000, 0x800000), range(0x1000000, 0x2000000)])

    @Test func bottomUpTakesTheLowestFit() {
        #expect(HoleFinder.find(size: 0x1000, alignment: .kib4, window: range(0, 1 << 40), in: free, topDown: false) == 0x1000)
        #expect(HoleFinder.find(size: 0x100000, alignment: .kib4, window: range(0, 1 << 40), in: free, topDown: false) == 0x100000)
        #expect(HoleFinder.find(size: 0x1000, alignment: .mib2, window: range(0, 1 << 40), in: free, topDown: false) == 0x200000)
        #expect(HoleFinder.find(size: 0x1000, alignment: .kib4, window: range(0x3000, 1 << 40), in: free, topDown: false) == 0x3000)
    }

    @Test func topDownTakesTheHighestFit() {
        #expect(HoleFinder.find(size: 0x1000, alignment: .kib4, window: range(0, 1 << 40), in: free, topDown: true) == 0x1fff000)
        #expect(HoleFinder.find(size: 0x1800, alignment: .mib1, window: range(0, 1 << 40), in: free, topDown: true) == 0x1f00000)
        #expect(HoleFinder.find(size: 0x1000, alignment: .kib4, window: range(0, 0x1000000), in: free, topDown: true) == 0x7ff000)
        #expect(HoleFinder.find(size: 0x1000, alignment: .kib4, window: range(0, 0x800000), in: free, topDown: true) == 0x7ff000)
        #expect(HoleFinder.find(size: 0x1000, alignment: .kib4, window: range(0, 0x7fffff), in: free, topDown: true) == 0x7fe000)
    }

    @Test func nothingFits() {
        #expect(HoleFinder.find(size: 0x1000001, alignment: .kib4, window: range(0, 1 << 40), in: free, topDown: true) == nil)
        #expect(HoleFinder.find(size: 0x1000, alignment: .kib4, window: range(0x9f000, 0x100000), in: free, topDown: false) == nil)
        #expect(HoleFinder.find(size: 0x1000, alignment: .kib4, window: range(0, 1 << 40), in: PhysicalRangeSet(), topDown: true) == nil)
        #expect(HoleFinder.largestHole(in: free, window: range(0, 1 << 40)) == range(0x1000000, 0x2000000))
    }

    @Test func exhaustiveAgainstABruteForceSearch() {
        var rng = SeededGenerator(seed: 3)
        for _ in 0..<400 {
            var ranges: [PhysicalRange] = []
            for _ in 0..<Int.random(in: 0...5, using: &rng) {
                let start = UInt64.random(in: 0..<64, using: &rng) * 0x1000
                ranges.append(range(start, start + UInt64.random(in: 1...16, using: &rng) * 0x1000))
            }
            let set = PhysicalRangeSet(ranges)
            let size = UInt64.random(in: 1...8, using: &rng) * 0x1000
            let alignment = [Alignment.kib4, try! Alignment(bytes: 0x2000), try! Alignment(bytes: 0x4000)][Int.random(in: 0...2, using: &rng)]
            let low = UInt64.random(in: 0..<40, using: &rng) * 0x1000
            let window = range(low, low + UInt64.random(in: 1...40, using: &rng) * 0x1000)
            let candidates = stride(from: window.lowerBound.rawValue, to: window.upperBound.rawValue, by: 0x1000)
                .filter { $0 % alignment.bytes == 0 && $0 + size <= window.upperBound.rawValue && set.contains(range($0, $0 + size)) }
            #expect(HoleFinder.find(size: size, alignment: alignment, window: window, in: set, topDown: false)?.rawValue == candidates.first)
            #expect(HoleFinder.find(size: size, alignment: alignment, window: window, in: set, topDown: true)?.rawValue == candidates.last)
        }
    }
}

@Suite("Placement")
struct PlacementTests {
    /// kexec-tools' bzImage64 order and rules (reference section 3): purgatory and
    /// boot params top-down from 0x3000, the kernel (init_size, kernel_alignment)
    /// top-down from 1 MiB, the initrd top-down from 16 MiB.
    func placeBzImage64(_ map: MemoryMap, kind: ImageKind) throws -> (SegmentPlanner, [PhysicalAddress]) {
        var planner = try SegmentPlanner(memoryMap: map, kind: kind, architecture: .x86_64)
        let purgatory = try planner.place(PlacementRequest(role: .purgatory, bytes: filler(0x5000, seed: 1), minimum: 0x3000))
        let params = try planner.place(PlacementRequest(role: .bootParams, bytes: filler(0x4000 + 2048, seed: 2), alignment: .byte, minimum: 0x3000))
        let kernel = try planner.place(PlacementRequest(role: .kernel, bytes: [UInt8](repeating: 0x90, count: Int(12 * MiB)), memorySize: 40 * MiB,
                                                        alignment: .mib2, minimum: 0x100000))
        let initrd = try planner.place(PlacementRequest(role: .initrd, bytes: [UInt8](repeating: 0x1f, count: Int(60 * MiB)), minimum: 0x1000000))
        return (planner, [purgatory, params, kernel, initrd])
    }

    @Test func bzImage64OnARealTwoGigabyteMachine() throws {
        let (planner, at) = try placeBzImage64(try PlannerFixtures.map("qemu-x86_64-2G"), kind: .normal)
        // System RAM ends at 0x7ffe0000; everything goes top-down below it.
        #expect(at[0] == 0x7ffd_b000)                   // purgatory: 0x5000 bytes
        #expect(at[1] == 0x7ffd_6000)                   // boot params: 0x4800 -> 0x5000 bytes
        #expect(at[2] == 0x7d60_0000)                   // 40 MiB init_size, 2 MiB aligned below 0x7ffd6000
        #expect(at[3] == 0x79a0_0000)                   // 60 MiB initrd right below the kernel
        let plan = try planner.draft(entry: at[0]).validated()
        #expect(plan.draft.segments.map(\.segment.memorySize) == [0x5000, 0x5000, 40 * MiB, 60 * MiB])
    }

    @Test func crashImageStaysInsideTheCrashRegion() throws {
        let map = try PlannerFixtures.map("qemu-x86_64-2G-crashkernel-256M")
        let (planner, at) = try placeBzImage64(map, kind: .crash)
        #expect(at[0] == 0x7eff_b000)                   // the region is 0x6f000000-0x7effffff
        #expect(at[2] == 0x7c60_0000)
        let plan = try planner.draft(entry: at[0]).validated()
        for segment in plan.draft.segments { #expect(map.crashRegions[0].contains(segment.destination)) }
        #expect(plan.loadRequest.flags == 0x3e_0001)
    }

    @Test func crashkernelHighLoadsIntoTheHighRegion() throws {
        let map = try PlannerFixtures.map("qemu-x86_64-6G-crashkernel-high")
        let (planner, at) = try placeBzImage64(map, kind: .crash)
        #expect(at[0] == 0x1_bef_fb000)
        _ = try planner.draft(entry: at[0]).validated()
    }

    @Test func normalImagesAvoidTheCrashRegion() throws {
        let map = try PlannerFixtures.map("qemu-x86_64-6G-crashkernel-high")
        let (planner, _) = try placeBzImage64(map, kind: .normal)
        for segment in planner.segments {
            for region in map.crashRegions { #expect(!region.overlaps(segment.destination)) }
        }
        // 6 GiB: top of RAM is 0x1c0000000, above the high crash region's end (0x1bf000000).
        #expect(planner.segments[0].destination.upperBound == 0x1_c000_0000)
    }

    @Test func sixtyFourKilobytePages() throws {
        var planner = try SegmentPlanner(memoryMap: ramMap([(0, 1 * GiB)]), kind: .normal, architecture: .ppc64le)
        #expect(planner.pageSize == .kib64)
        let at = try planner.place(PlacementRequest(role: .kernel, bytes: filler(100, seed: 1), strategy: .bottomUp))
        #expect(at == 0 && planner.segments[0].destination.size == 64 * KiB)
        let next = try planner.place(PlacementRequest(role: .initrd, bytes: filler(70000, seed: 2), strategy: .bottomUp))
        #expect(next == 0x10000 && planner.segments[1].destination.size == 128 * KiB)
    }

    @Test func whenNothingFitsTheErrorNamesSizeAlignmentAndLargestHole() throws {
        var planner = try SegmentPlanner(memoryMap: try PlannerFixtures.map("qemu-x86_64-512M"), kind: .normal, architecture: .x86_64)
        do {
            try planner.place(PlacementRequest(role: .initrd, bytes: [], memorySize: 600 * MiB, minimum: 0x1000000))
            Issue.record("expected noHole")
        } catch {
            guard case .noHole(.initrd, 600 * MiB, .kib4, _, let largest) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(largest == range(0x100_0000, 0x1ffe_0000))
            #expect(error.description.contains("600 MiB") && error.description.contains("largest free range"))
        }
    }

    @Test func exactPlacementAndItsConflicts() throws {
        var planner = try SegmentPlanner(memoryMap: ramMap([(0x100000, 0x10000000)]), kind: .normal, architecture: .x86_64)
        #expect(try planner.place(PlacementRequest(role: .kernel, bytes: [1], memorySize: 0x200000, strategy: .exact(0x1000000))) == 0x1000000)
        #expect(throws: PlanningError.self) {
            try planner.place(PlacementRequest(role: .initrd, bytes: [1], strategy: .exact(0x11ff000)))
        }
        #expect(throws: PlanningError.exactAddressMisaligned(role: .initrd, address: 0x1234, alignment: .kib4)) {
            try planner.place(PlacementRequest(role: .initrd, bytes: [1], strategy: .exact(0x1234)))
        }
        do {
            try planner.place(PlacementRequest(role: .initrd, bytes: [1], strategy: .exact(0x1100000)))
        } catch {
            #expect(error.description.contains("overlaps segment 0 (kernel)"))
        }
        #expect(throws: PlanningError.self) {
            try planner.place(PlacementRequest(role: .initrd, bytes: [1], strategy: .exact(0x10000000)))
        }
    }

    @Test func memoryWindowAndArchitectureLimits() throws {
        var planner = try SegmentPlanner(memoryMap: ramMap([(0, 8 * GiB)]), kind: .normal, architecture: .x86_64,
                                         memoryMinimum: 0x200000, memoryMaximum: 0x400000)
        #expect(try planner.place(PlacementRequest(role: .kernel, bytes: [1], strategy: .bottomUp)) == 0x200000)
        #expect(try planner.place(PlacementRequest(role: .initrd, bytes: [1])) == 0x3ff000)
        // i386: nothing may end at or above 0xffffffff, so the top page below 4 GiB is out.
        var i386 = try SegmentPlanner(memoryMap: ramMap([(0, 8 * GiB)]), kind: .normal, architecture: .i386)
        #expect(try i386.place(PlacementRequest(role: .initrd, bytes: [1])) == 0xffff_e000)
        #expect(throws: PlanningError.self) {
            var tiny = try SegmentPlanner(memoryMap: ramMap([(0, 8 * GiB)]), kind: .normal, architecture: .x86_64,
                                          memoryMinimum: 0x400000, memoryMaximum: 0x200000)
            try tiny.place(PlacementRequest(role: .kernel, bytes: [1]))
        }
    }

    @Test func crashWithoutRegionAndSegmentLimit() throws {
        #expect(throws: PlanningError.noCrashRegion) {
            try SegmentPlanner(memoryMap: try PlannerFixtures.map("qemu-x86_64-2G"), kind: .crash, architecture: .x86_64)
        }
        var planner = try SegmentPlanner(memoryMap: ramMap([(0, 1 * GiB)]), kind: .normal, architecture: .x86_64)
        for _ in 0..<16 { try planner.place(PlacementRequest(role: .other, bytes: [1])) }
        #expect(throws: PlanningError.tooManySegments(limit: 16)) { try planner.place(PlacementRequest(role: .other, bytes: [1])) }
    }
}

@Suite("Normalisation of loose pieces")
struct NormalizerTests {
    @Test func piecesSharingAPageMergeWithZeroFill() throws {
        // Two PT_LOADs like u-root#1845: the second starts in the first one's last page.
        let a = LoosePiece(bytes: [UInt8](repeating: 0xaa, count: 0x1800), address: 0x100000)
        let b = LoosePiece(bytes: [UInt8](repeating: 0xbb, count: 0x100), address: 0x101a00, memorySize: 0x2000)
        let (segments, map) = try SegmentNormalizer.normalize([b, a], pageSize: .kib4)
        #expect(segments.count == 1)
        #expect(map == [0, 0])
        #expect(segments[0].destination == range(0x100000, 0x104000))
        #expect(segments[0].buffer.count == 0x1b00)
        #expect(segments[0].buffer[0x17ff] == 0xaa && segments[0].buffer[0x1800] == 0 && segments[0].buffer[0x1a00] == 0xbb)
    }

    @Test func subPageStartsRoundDownAndEndsRoundUp() throws {
        let piece = LoosePiece(bytes: [1, 2, 3], address: 0x1000_0123, memorySize: 0x1000)
        let (segments, _) = try SegmentNormalizer.normalize([piece], pageSize: .kib4)
        #expect(segments[0].destination == range(0x1000_0000, 0x1000_2000))
        #expect(segments[0].buffer.count == 0x126 && segments[0].buffer[0x123] == 1)
        let (big, _) = try SegmentNormalizer.normalize([piece], pageSize: .kib64)
        #expect(big[0].destination == range(0x1000_0000, 0x1001_0000))
    }

    @Test func separatePagesStaySeparate() throws {
        let (segments, map) = try SegmentNormalizer.normalize([
            LoosePiece(bytes: [1], address: 0x1000), LoosePiece(bytes: [2], address: 0x2000), LoosePiece(bytes: [], address: 0x5000, memorySize: 1),
        ], pageSize: .kib4)
        #expect(segments.map(\.destination) == [range(0x1000, 0x2000), range(0x2000, 0x3000), range(0x5000, 0x6000)])
        #expect(map == [0, 1, 2])
    }

    @Test func overlappingBytesAreRefused() {
        #expect(throws: NormalizationError.piecesOverlap(first: 0, second: 1)) {
            try SegmentNormalizer.normalize([LoosePiece(bytes: [1, 2], address: 0x1000), LoosePiece(bytes: [3], address: 0x1001)], pageSize: .kib4)
        }
        #expect(throws: NormalizationError.pieceOverflows(piece: 0)) {
            try SegmentNormalizer.normalize([LoosePiece(bytes: [1], address: PhysicalAddress(UInt64.max - 1), memorySize: 2)], pageSize: .kib4)
        }
    }
}

@Suite("Validation rules")
struct ValidationTests {
    func draft(_ segments: [(UInt64, UInt64)], kind: ImageKind = .normal, entry: UInt64? = nil,
               architecture: KexecArchitecture = .x86_64, map: MemoryMap = ramMap([(0, 4 * GiB), (5 * GiB, 80 * GiB)], crash: [(0x6000_0000, 0x7000_0000)]))
        -> PlanDraft
    {
        let planned = segments.map { start, end in
            PlannedSegment(role: .other, segment: try! KexecSegment(buffer: [1], destination: range(start, end)))
        }
        return PlanDraft(architecture: architecture, kind: kind, pageSize: .kib4, entry: PhysicalAddress(entry ?? segments.first?.0 ?? 0),
                         segments: planned, memoryMap: map)
    }

    @Test func aValidPlanPasses() throws {
        let plan = try draft([(0x100000, 0x200000), (0x200000, 0x300000)]).validated()
        #expect(plan.loadRequest.segments.count == 2)
        #expect(plan.loadRequest.flags == 0x3e_0000)
    }

    static let cases: [(String, PlanValidationError)] = [
        ("17 segments", .tooManySegments(count: 17, limit: 16)),
        ("misaligned start", .misaligned(segment: 0, destination: range(0x100800, 0x200000), pageSize: .kib4)),
        ("misaligned end", .misaligned(segment: 0, destination: range(0x100000, 0x200800), pageSize: .kib4)),
        ("above limit", .aboveDestinationLimit(segment: 0, destination: range((1 << 46) - 0x1000, 1 << 46), limit: (1 << 46) - 1)),
        ("overlap", .overlap(first: 0, second: 1, firstDestination: range(0x100000, 0x300000), secondDestination: range(0x200000, 0x400000))),
        ("half of RAM", .segmentTooLarge(segment: 0, pages: 0x2000, limit: 0x1000)),
        ("sum over half", .imageTooLarge(pages: 0x1800, limit: 0x1000)),
        ("crash outside", .outsideCrashRegion(segment: 0, destination: range(0x100000, 0x200000), crashRegion: range(0x6000_0000, 0x7000_0000))),
        ("crash entry", .entryOutsideCrashRegion(entry: 0x100000, crashRegion: range(0x6000_0000, 0x7000_0000))),
        ("no crash region", .noCrashRegion),
        ("not RAM", .outsideUsableMemory(segment: 0, destination: range(0x1_0000_0000, 0x1_0010_0000))),
        ("in crash region", .outsideUsableMemory(segment: 0, destination: range(0x6000_0000, 0x6010_0000))),
        ("entry nowhere", .entryOutsideSegments(entry: 0x5000_0000)),
        ("i386 above 4G", .notAddressableByArchitecture(segment: 0, destination: range(0x1_4000_0000, 0x1_4010_0000), architecture: .i386)),
    ]

    @Test(arguments: cases)
    func eachRuleHasItsOwnError(name: String, expected: PlanValidationError) {
        let small = ramMap([(0, 32 * MiB)])
        let d: PlanDraft
        switch name {
        case "17 segments":
            var pairs: [(UInt64, UInt64)] = []
            for index in 0..<UInt64(17) {
                let start: UInt64 = 0x100000 + index * 0x1000
                pairs.append((start, start + 0x1000))
            }
            d = draft(pairs)
        case "misaligned start": d = draft([(0x100800, 0x200000)])
        case "misaligned end": d = draft([(0x100000, 0x200800)])
        case "above limit": d = draft([((1 << 46) - 0x1000, 1 << 46)], map: ramMap([(0, 1 << 47)]))
        case "overlap": d = draft([(0x100000, 0x300000), (0x200000, 0x400000)])
        case "half of RAM": d = draft([(0, 0x2000000)], map: small)
        case "sum over half": d = draft([(0, 0xc00000), (0xc00000, 0x1800000)], map: small)
        case "crash outside": d = draft([(0x100000, 0x200000), (0x6000_0000, 0x6000_1000)], kind: .crash, entry: 0x6000_0000)
        case "crash entry": d = draft([(0x6000_0000, 0x6010_0000)], kind: .crash, entry: 0x100000)
        case "no crash region": d = draft([(0x100000, 0x200000)], kind: .crash, map: ramMap([(0, 4 * GiB)]))
        case "not RAM": d = draft([(0x1_0000_0000, 0x1_0010_0000)])
        case "in crash region": d = draft([(0x6000_0000, 0x6010_0000)])
        case "entry nowhere": d = draft([(0x100000, 0x200000)], entry: 0x5000_0000)
        default: d = draft([(0x1_4000_0000, 0x1_4010_0000)], architecture: .i386)
        }
        #expect(d.violations().contains(expected), "\(name): \(d.violations())")
        #expect(throws: PlanValidationError.self) { try d.validated() }
    }

    @Test func kernelErrnosForKernelRules() {
        #expect(PlanValidationError.overlap(first: 0, second: 1, firstDestination: range(0, 1), secondDestination: range(0, 1)).kernelErrno == 22)
        #expect(PlanValidationError.misaligned(segment: 0, destination: range(0, 1), pageSize: .kib4).kernelErrno == 99)
        #expect(PlanValidationError.entryOutsideSegments(entry: 0).kernelErrno == nil)
    }
}

@Suite("Rendering")
struct RenderingTests {
    @Test func jsonIsValidAndComplete() throws {
        var planner = try SegmentPlanner(memoryMap: try PlannerFixtures.map("qemu-x86_64-2G"), kind: .normal, architecture: .x86_64)
        try planner.place(PlacementRequest(role: .kernel, bytes: Array("abc".utf8), memorySize: 0x3000, minimum: 0x100000))
        try planner.place(PlacementRequest(role: .initrd, bytes: [], memorySize: 1))
        let draft = planner.draft(entry: planner.segments[0].destination.lowerBound)
        let object = try JSONSerialization.jsonObject(with: Data(draft.json().utf8)) as? [String: Any]
        #expect(object?["architecture"] as? String == "x86_64")
        #expect(object?["flags"] as? String == "0x3e0000")
        let segments = try #require(object?["segments"] as? [[String: Any]])
        #expect(segments.count == 2)
        #expect(segments[0]["role"] as? String == "kernel")
        #expect(segments[0]["start"] as? String == "0x7ffdd000")
        #expect(segments[0]["end"] as? String == "0x7ffe0000")
        #expect(segments[0]["bufsz"] as? Int == 3 && segments[0]["memsz"] as? Int == 0x3000)
        // sha256("abc" + 0x2ffd zero bytes), as `head -c`/`sha256sum` would give.
        #expect((segments[1]["sha256"] as? String) == "ad7facb2586fc6e966c004d7d1d16b024f5805ff7cb47c7a85dabd8b48892ca7")
        #expect((segments[0]["sha256"] as? String)?.count == 64)
    }

    @Test func listingShowsSegmentsUnderTheirRegions() throws {
        var planner = try SegmentPlanner(memoryMap: try PlannerFixtures.map("qemu-x86_64-2G-crashkernel-256M"), kind: .crash, architecture: .x86_64)
        try planner.place(PlacementRequest(role: .purgatory, bytes: [1]))
        let text = planner.draft(entry: planner.segments[0].destination.lowerBound).listing()
        #expect(text.hasPrefix("kexec plan: x86_64 crash image, entry 0x7efff000, 1 segments, 4 KiB pages\n"))
        #expect(text.contains("0x00007efff000-0x00007f000000 segment 0 purgatory"))
        #expect(text.contains("* 0x00006f000000-0x00007f000000 Crash kernel"))
    }
}
