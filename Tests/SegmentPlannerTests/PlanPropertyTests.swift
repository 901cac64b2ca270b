import KexecTestSupport
import Testing
@testable import KexecCore
@testable import SegmentPlanner

/// Properties over thousands of seeded random machines and buffer sets: the
/// planner's plans validate and the staging simulator reproduces them byte for
/// byte; the validator's rejections are ones the kernel's rules or the simulator
/// would reject too.
@Suite("Planner properties")
struct PlanPropertyTests {
    /// A random machine: 1..6 RAM ranges with reserved gaps in a small physical space,
    /// sometimes a crash region inside one of them.
    static func randomMachine(_ rng: inout SeededGenerator, page: UInt64, crash: Bool) -> MemoryMap {
        var regions: [MemoryRegion] = []
        var cursor = UInt64.random(in: 0...4, using: &rng) * page
        var ram: [PhysicalRange] = []
        for _ in 0..<Int.random(in: 1...6, using: &rng) {
            let size = UInt64.random(in: 1...96, using: &rng) * page + UInt64.random(in: 0...1, using: &rng) * 0x200
            let r = range(cursor, cursor + size)
            ram.append(r)
            regions.append(MemoryRegion(range: r, type: .systemRAM))
            let gap = UInt64.random(in: 1...8, using: &rng) * page
            regions.append(MemoryRegion(range: range(cursor + size, cursor + size + gap), type: .reserved))
            cursor += size + gap
        }
        var crashRegions: [PhysicalRange] = []
        if crash, let host = ram.filter({ $0.size >= 16 * page }).randomElement(using: &rng) {
            let start = (host.lowerBound.rawValue + page - 1) / page * page + page
            let length = UInt64.random(in: 8...12, using: &rng) * page
            if start + length <= host.upperBound.rawValue { crashRegions.append(range(start, start + length)) }
        }
        return MemoryMap(regions: regions, crashRegions: crashRegions)
    }

    @Test(arguments: [PageSize.kib4, PageSize.kib64])
    func plansValidateAndTheSimulatorReproducesThem(pageSize: PageSize) throws {
        var rng = SeededGenerator(seed: pageSize.bytes)
        let page = pageSize.bytes
        var planned = 0
        var refused = 0
        for round in 0..<2000 {
            let kind: ImageKind = round % 4 == 3 ? .crash : .normal
            let map = Self.randomMachine(&rng, page: page, crash: kind == .crash)
            guard var planner = try? SegmentPlanner(memoryMap: map, kind: kind, architecture: .x86_64, pageSize: pageSize) else {
                #expect(kind == .crash && map.crashRegions.isEmpty)
                continue
            }
            var failed = false
            for index in 0..<Int.random(in: 1...6, using: &rng) {
                let size = Int.random(in: 0...Int(4 * page), using: &rng)
                let memsz = UInt64(size) + UInt64.random(in: 0...2, using: &rng) * page
                let strategy: PlacementStrategy = Bool.random(using: &rng) ? .topDown : .bottomUp
                let alignment = [Alignment.kib4, pageSize.alignment, try Alignment(bytes: page * 2)][Int.random(in: 0...2, using: &rng)]
                do {
                    try planner.place(PlacementRequest(role: .other, bytes: filler(size, seed: UInt8(index)), memorySize: memsz,
                                                       alignment: alignment, strategy: strategy))
                } catch {
                    // Refusal must be honest: no hole of that size really exists.
                    if case .noHole(_, let need, let align, let window, _) = error {
                        let fits = planner.free.ranges.contains { r in
                            guard let clipped = r.intersection(window), let start = try? clipped.lowerBound.alignedUp(to: align) else { return false }
                            return start < clipped.upperBound && clipped.upperBound.rawValue - start.rawValue >= need
                        }
                        #expect(!fits, "refused although a hole exists: \(error)")
                    }
                    failed = true
                    break
                }
            }
            if failed || planner.segments.isEmpty { refused += 1; continue }
            let entry = planner.segments[0].destination.lowerBound
            let draft = planner.draft(entry: entry, totalRAMPages: 1 << 40)
            let plan = try draft.validated()
            planned += 1
            // Crash images are written in place (no staging); normal ones go through the simulator.
            if kind == .normal {
                let order: SourcePageOrder = [.ascending, .descending, .seededRandom(seed: UInt64(round)),
                                              .adversarial(.interleaved)][round % 4]
                let report = try KexecStagingSimulator.run(segments: plan.loadRequest.segments, pageSize: pageSize, order: order)
                #expect(report.imageMatches && report.invariantsHold, "\(report)")
            } else if let region = map.loadableCrashRegion {
                for segment in plan.draft.segments { #expect(region.contains(segment.destination)) }
            }
        }
        #expect(planned > 800, "only \(planned) plans (\(refused) refused)")
    }

    /// An independent statement of sanity_check_segment_list (kernel/kexec_core.c) plus
    /// "lies in RAM" and "entry in a segment", to judge the validator's rejections.
    static func referenceRejects(_ draft: PlanDraft) -> Bool {
        let page = draft.pageSize.bytes
        let segments = draft.segments.map { ($0.destination.lowerBound.rawValue, $0.destination.upperBound.rawValue) }
        if segments.count > 16 { return true }
        for (start, end) in segments {
            if start % page != 0 || end % page != 0 { return true }
            if end >= draft.architecture.destinationMemoryLimit { return true }
        }
        for i in segments.indices {
            for j in segments.indices where i < j {
                if segments[i].0 < segments[j].1 && segments[j].0 < segments[i].1 { return true }
            }
        }
        let ram = draft.memoryMap.systemRAM.subtracting(PhysicalRangeSet(draft.memoryMap.crashRegions))
        for (start, end) in segments where !ram.contains(range(start, end)) { return true }
        return !segments.contains { draft.entry.rawValue >= $0.0 && draft.entry.rawValue < $0.1 }
    }

    @Test func everyRejectionIsOneTheKernelOrTheSimulatorWouldMake() throws {
        var rng = SeededGenerator(seed: 0xbad)
        let page: UInt64 = 0x1000
        var rejected = 0
        var accepted = 0
        for _ in 0..<3000 {
            let map = Self.randomMachine(&rng, page: page, crash: false)
            var segments: [PlannedSegment] = []
            for index in 0..<Int.random(in: 1...4, using: &rng) {
                // Mostly page-aligned, sometimes not; sometimes overlapping; sometimes off RAM.
                let start = UInt64.random(in: 0...200, using: &rng) * page + (Int.random(in: 0...9, using: &rng) == 0 ? 0x800 : 0)
                let size = UInt64.random(in: 1...6, using: &rng) * page
                let bytes = filler(Int.random(in: 0...Int(size), using: &rng), seed: UInt8(index))
                segments.append(PlannedSegment(role: .other, segment: try KexecSegment(buffer: bytes, destination: range(start, start + size))))
            }
            let entry = Bool.random(using: &rng) ? segments[0].destination.lowerBound : PhysicalAddress(UInt64.random(in: 0...0x100000, using: &rng))
            let draft = PlanDraft(architecture: .x86_64, kind: .normal, pageSize: .kib4, entry: entry, segments: segments,
                                  memoryMap: map, totalRAMPages: 1 << 40)
            let violations = draft.violations()
            if violations.isEmpty {
                accepted += 1
                #expect(!Self.referenceRejects(draft))
                let report = try KexecStagingSimulator.run(segments: segments.map(\.segment), pageSize: .kib4, order: .adversarial(.interleaved))
                #expect(report.imageMatches && report.invariantsHold)
            } else {
                rejected += 1
                #expect(Self.referenceRejects(draft), "validator rejected what the reference accepts: \(violations)")
                // Where the rejection is "segments share a page", the simulator shows the damage.
                if violations.contains(where: { if case .overlap = $0 { return false }; if case .misaligned = $0 { return true }; return false }),
                   !violations.contains(where: { if case .overlap = $0 { return true }; return false }) {
                    let report = try KexecStagingSimulator.run(segments: segments.map(\.segment), pageSize: .kib4, order: .ascending)
                    let sharesPage = report.violations.contains { "\($0)".contains("more than once") || "\($0)".contains("twice") }
                    if sharesPage { #expect(!report.imageMatches) }
                }
            }
        }
        #expect(rejected > 300 && accepted > 100, "rejected \(rejected), accepted \(accepted)")
    }
}
