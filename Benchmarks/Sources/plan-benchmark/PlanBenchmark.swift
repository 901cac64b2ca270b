import KexecCore
import SegmentPlanner

/// Plans 16 buffers into memory maps of 1,000 to 100,000 System RAM ranges and
/// validates the result; prints the median time per size and the growth ratio.
@main
struct PlanBenchmark {
    static func memoryMap(ranges count: Int) -> MemoryMap {
        // 1 MiB of RAM, then a 64 KiB reserved gap, repeated; in reverse order so
        // the map's own sort does real work.
        var regions: [MemoryRegion] = []
        regions.reserveCapacity(count * 2)
        for index in (0..<count).reversed() {
            let start = 0x100000 + UInt64(index) * 0x110000
            regions.append(MemoryRegion(range: try! PhysicalRange(start: PhysicalAddress(start), size: 0x100000), type: .systemRAM))
            regions.append(MemoryRegion(range: try! PhysicalRange(start: PhysicalAddress(start + 0x100000), size: 0x10000), type: .reserved))
        }
        return MemoryMap(regions: regions)
    }

    static func plan(_ map: MemoryMap) throws -> ValidatedPlan {
        var planner = try SegmentPlanner(memoryMap: map, kind: .normal, architecture: .x86_64)
        var entry: PhysicalAddress = 0
        for index in 0..<16 {
            // Sizes up to 768 KiB fit one RAM range; alternate the search direction.
            let request = PlacementRequest(role: index == 0 ? .purgatory : .other, bytes: [UInt8(index)],
                                           memorySize: UInt64(index + 1) * 0xc000, alignment: .kib4, minimum: 0x3000,
                                           strategy: index % 2 == 0 ? .topDown : .bottomUp)
            let at = try planner.place(request)
            if index == 0 { entry = at }
        }
        return try planner.draft(entry: entry).validated()
    }

    static func main() throws {
        let clock = ContinuousClock()
        if CommandLine.arguments.contains("--phases") {
            let map = memoryMap(ranges: 100_000)
            var planner: SegmentPlanner?
            print("init", clock.measure { planner = try? SegmentPlanner(memoryMap: map, kind: .normal, architecture: .x86_64) })
            print("ram", clock.measure { _ = map.systemRAM })
            var p = planner!
            print("place", try clock.measure { for i in 0..<16 { try p.place(PlacementRequest(role: .other, bytes: [1], memorySize: UInt64(i + 1) * 0xc000, strategy: i % 2 == 0 ? .topDown : .bottomUp)) } })
            let d = p.draft(entry: p.segments[0].destination.lowerBound)
            print("validate", clock.measure { _ = d.violations() })
            return
        }
        var previous: Double?
        print("ranges    median      min    growth (vs previous size)")
        for count in [1_000, 10_000, 100_000] {
            let map = memoryMap(ranges: count)
            var samples: [Double] = []
            for _ in 0..<(count >= 100_000 ? 7 : 21) {
                let elapsed = try clock.measure { _ = try plan(map) }
                samples.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1e3)
            }
            samples.sort()
            let median = samples[samples.count / 2]
            let growth = previous.map { String(format: "x%.1f", median / $0) } ?? "-"
            print(String(format: "%7d %8.2f ms %7.2f ms  %@", count, median, samples[0], growth))
            previous = median
        }
    }
}
