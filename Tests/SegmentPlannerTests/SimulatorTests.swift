import KexecCore
import SegmentPlanner
import Testing

@Suite("Kexec staging simulator")
struct SimulatorTests {
    // MARK: Page-aligned plans reproduce exactly

    @Test("A kernel-like page-aligned image reproduces under every source page order", arguments: [PageSize.kib4, .kib64])
    func kernelLikeImageReproduces(pageSize: PageSize) throws {
        let segments = try SimulatorFixtures.kernelLikeImage(pageSize: pageSize)
        for order in SourcePageOrder.everyStrategy(randomSeed: 0x5eed) {
            let report = try KexecStagingSimulator.run(segments: segments, pageSize: pageSize, order: order)
            #expect(report.imageMatches, "\(report)")
            #expect(report.invariantsHold, "\(report)")
            #expect(report.execution.pagesCopied == 90)
            // One IND_DESTINATION per segment, even for contiguous or empty ones.
            #expect(report.indirectionList.filter { if case .destination = $0 { true } else { false } }.count == 5)
            #expect(report.indirectionList.last == .done)
            SimulatorFixtures.expectImageInMemory(report)
        }
    }

    @Test("520 random page-aligned layouts and orders reproduce byte for byte")
    func randomLayoutsReproduce() throws {
        var swaps = 0
        var parks = 0
        var cases = 0
        for caseIndex in 0 ..< 520 {
            var generator = SplitMix64(seed: 0xC0FFEE ^ UInt64(caseIndex) << 32)
            let pageSize: PageSize = caseIndex % 4 == 3 ? .kib64 : .kib4
            let segments = try SimulatorFixtures.randomImage(
                pageSize: pageSize, maxPages: pageSize == .kib4 ? 64 : 8, generator: &generator)
            let orders = SourcePageOrder.everyStrategy(randomSeed: generator.next())
            let order = orders[generator.next(below: orders.count)]
            let report = try KexecStagingSimulator.run(segments: segments, pageSize: pageSize, order: order)
            #expect(report.imageMatches, "case \(caseIndex): \(report)")
            #expect(report.invariantsHold, "case \(caseIndex): \(report)")
            if caseIndex % 50 == 0 { SimulatorFixtures.expectImageInMemory(report) }
            swaps += report.statistics.swaps
            parks += report.statistics.parks
            cases += 1
        }
        #expect(cases == 520)
        #expect(swaps > 0)
        #expect(parks > 0)
    }

    @Test("A list longer than one indirection page chains through its last slot", arguments: [ByteOrder.little, .big])
    func indirectionPagesChain(byteOrder: ByteOrder) throws {
        // 2 IND_DESTINATION + 700 IND_SOURCE + IND_DONE = 703 entries: 511 fit in the
        // first 4 KiB page, whose last slot chains to the second.
        let segments = [
            try SimulatorFixtures.segment(mem: 0x40_0000, memsz: 400 * 0x1000, bufsz: 399 * 0x1000 + 17, tag: 0x50),
            try SimulatorFixtures.segment(mem: 0x20_0000, memsz: 300 * 0x1000, bufsz: 300 * 0x1000, tag: 0x70),
        ]
        for order in [SourcePageOrder.ascending, .adversarial(.destinationsAfterStaging), .adversarial(.interleaved)] {
            let report = try KexecStagingSimulator.run(segments: segments, pageSize: .kib4, order: order, byteOrder: byteOrder)
            #expect(report.imageMatches && report.invariantsHold, "\(report)")
            #expect(report.indirectionPages.count == 2)
            #expect(report.statistics.indirectionPages == 2)
            // The head, 511 entries, then the chaining entry in slot 511.
            #expect(report.indirectionList[512] == .indirection(report.indirectionPages[1]))
            #expect(report.indirectionList.count == 1 + 511 + 1 + (703 - 511))
            #expect(report.execution.pagesCopied == 700)
        }
    }

    // MARK: Adversarial orders

    @Test("Destination pages handed out after their destination was staged are swapped")
    func swapsAreForced() throws {
        let segments = [
            try SimulatorFixtures.segment(mem: 0x10000, memsz: 0x3000, bufsz: 0x2800, tag: 0xa0),
            try SimulatorFixtures.segment(mem: 0x20000, memsz: 0x3000, bufsz: 0x3000, tag: 0xb0),
        ]
        let report = try KexecStagingSimulator.run(segments: segments, pageSize: .kib4,
                                                   order: .adversarial(.destinationsAfterStaging))
        #expect(report.imageMatches, "\(report)")
        #expect(report.invariantsHold)
        #expect(report.statistics.swaps == 3)
        #expect(report.statistics.parks == 0)
        // The outside pages first staged segment 0; each of its destination pages,
        // handed out later, took over its contents, freeing the outside page for segment 1.
        #expect(report.sourcePages.map(\.source) == [0x10000, 0x11000, 0x12000, 0x1000, 0x2000, 0x3000])
        #expect(report.indirectionPages == [0x0])
        SimulatorFixtures.expectImageInMemory(report)
    }

    @Test("Other segments' destination pages handed out first are parked and taken back")
    func parkingIsForced() throws {
        let segments = [
            try SimulatorFixtures.segment(mem: 0x10000, memsz: 0x3000, bufsz: 0x2800, tag: 0xa0),
            try SimulatorFixtures.segment(mem: 0x20000, memsz: 0x3000, bufsz: 0x3000, tag: 0xb0),
        ]
        let report = try KexecStagingSimulator.run(segments: segments, pageSize: .kib4,
                                                   order: .adversarial(.reverseDestinationsFirst))
        #expect(report.imageMatches, "\(report)")
        #expect(report.invariantsHold)
        #expect(report.statistics.parks == 6)
        #expect(report.statistics.parkedPagesReused == 6)
        #expect(report.statistics.swaps == 0)
        #expect(report.statistics.sourcePagesInPlace == 6)
        #expect(report.indirectionPages == [0x0])
    }

    @Test("Every adversarial pattern keeps the kernel-like image intact and exercises swaps or parking",
          arguments: SourcePageOrder.AdversarialPattern.allCases)
    func adversarialPatterns(pattern: SourcePageOrder.AdversarialPattern) throws {
        let segments = try SimulatorFixtures.kernelLikeImage(pageSize: .kib4)
        let report = try KexecStagingSimulator.run(segments: segments, pageSize: .kib4, order: .adversarial(pattern))
        #expect(report.imageMatches, "\(report)")
        #expect(report.invariantsHold)
        #expect(report.statistics.swaps + report.statistics.parks > 0)
        switch pattern {
        case .reverseDestinationsFirst: #expect(report.statistics.parks > 0)
        case .destinationsAfterStaging: #expect(report.statistics.swaps > 0)
        case .interleaved: #expect(report.statistics.swaps > 0 && report.statistics.parks > 0)
        }
    }

    // MARK: The historical bug: two segments sharing a destination page

    @Test("Segments sharing a page: two source pages are copied to one destination page", arguments: SourcePageOrder.everyStrategy(randomSeed: 7))
    func sharedDestinationPage(order: SourcePageOrder) throws {
        // A covers [0x0, 0x1800) with data; B starts in the middle of A's last page.
        let a = try SimulatorFixtures.segment(mem: 0x0, memsz: 0x1800, bufsz: 0x1800, tag: 0xa0)
        let b = try SimulatorFixtures.segment(mem: 0x1800, memsz: 0x1800, bufsz: 0x1800, tag: 0xb0)
        let report = try KexecStagingSimulator.run(segments: [a, b], pageSize: .kib4, order: order)

        // Staging: B's IND_DESTINATION is 0x1800 & PAGE_MASK = 0x1000, so the page
        // at 0x1000 gets two IND_SOURCE entries, each a page cleared on its own.
        let writers = report.sources(writing: 0x1000)
        #expect(writers.map(\.segment) == [0, 1])
        #expect(report.violations.contains(.destinationWrittenMoreThanOnce(
            destination: 0x1000, segments: [0, 1], sources: writers.map(\.source))))

        // Exec: B's copy comes last, so A's bytes 0x1000..0x17ff become zeros.
        #expect(!report.imageMatches)
        #expect(report.mismatches.count == 1)
        let mismatch = try #require(report.mismatches.first)
        #expect(mismatch.segment == 0)
        #expect(mismatch.address == 0x1000)
        #expect(mismatch.expected == a.buffer[0x1000])
        #expect(mismatch.actual == 0x00)
        #expect(mismatch.differingBytes == 0x800)
        #expect(report.memory.page(containing: 0x1000)[..<0x800].allSatisfy { $0 == 0 })
        #expect(Array(report.memory.page(containing: 0x1000)[0x800...]) == Array(b.buffer[..<0x800]))
        #expect(report.description.contains("two source pages copied to one destination page: 0x1000 is written 2 times"))
        #expect(report.description.contains("segment 0 [0x0, 0x1800): first differing byte at 0x1000"))
    }

    @Test("Listed the other way round, which segment loses the shared half page depends on the page order")
    func sharedDestinationPageReversed() throws {
        let a = try SimulatorFixtures.segment(mem: 0x0, memsz: 0x1800, bufsz: 0x1800, tag: 0xa0)
        let b = try SimulatorFixtures.segment(mem: 0x1800, memsz: 0x1800, bufsz: 0x1800, tag: 0xb0)
        var losers: [String: Int] = [:]
        for order in SourcePageOrder.everyStrategy(randomSeed: 8) {
            // B is segment 0, A segment 1; both still write page 0x1000, B first.
            let report = try KexecStagingSimulator.run(segments: [b, a], pageSize: .kib4, order: order)
            let writers = report.sources(writing: 0x1000)
            #expect(writers.map(\.segment) == [0, 1], "\(order)")
            #expect(report.violations.contains(.destinationWrittenMoreThanOnce(
                destination: 0x1000, segments: [0, 1], sources: writers.map(\.source))))
            let mismatch = try #require(report.mismatches.first, "\(order)")
            #expect(report.mismatches.count == 1, "\(order)")
            #expect(mismatch.actual == 0x00 && mismatch.differingBytes == 0x800, "\(order)")
            if writers.last?.source == 0x1000 {
                // A's source is the shared page itself: B's copy lands on it first,
                // so A's in-place copy copies B's page and A loses 0x1000..0x17ff.
                #expect(report.violations.contains(.sourceOverwrittenBeforeCopy(source: 0x1000, destination: 0x1000)))
                #expect(mismatch.segment == 1 && mismatch.address == 0x1000 && mismatch.expected == a.buffer[0x1000])
                losers["A", default: 0] += 1
            } else {
                // Otherwise A's copy lands last and B loses 0x1800..0x1fff.
                #expect(mismatch.segment == 0 && mismatch.address == 0x1800 && mismatch.expected == b.buffer[0])
                losers["B", default: 0] += 1
            }
            if order == .ascending { #expect(mismatch.segment == 1, "ascending: page 0x1000 is parked, then A's own") }
            if order == .descending { #expect(mismatch.segment == 0, "descending: both sources outside, A copies last") }
        }
        #expect(losers["A", default: 0] > 0 && losers["B", default: 0] > 0)
    }

    // MARK: Errors

    @Test("A pool without frames outside the destinations runs out at the first indirection page")
    func poolExhaustedByIndirectionPage() throws {
        let segments = [try SimulatorFixtures.segment(mem: 0x4000, memsz: 0x2000, bufsz: 0x100, tag: 0x10)]
        #expect(throws: StagingSimulationError.poolExhausted(
            poolFrames: 2, framesNeeded: 3, allocating: .indirectionPage(whileStagingSegment: 0))) {
            try KexecStagingSimulator.run(segments: segments, pageSize: .kib4, order: .ascending,
                                          pool: .destinationsPlus(spareFrames: 0))
        }
    }

    @Test("A pool too small for the source pages names the page and how many frames were needed")
    func poolExhaustedBySourcePage() throws {
        let segments = [try SimulatorFixtures.segment(mem: 0x100000, memsz: 0x4000, bufsz: 0x4000, tag: 0x10)]
        let pool = PhysicalRangeSet([try PhysicalRange(start: 0x0, size: 0x2000)])
        #expect(throws: StagingSimulationError.poolExhausted(
            poolFrames: 2, framesNeeded: 5, allocating: .sourcePage(segment: 0, destination: 0x101000))) {
            try KexecStagingSimulator.run(segments: segments, pageSize: .kib4, order: .descending, pool: .frames(pool))
        }
    }

    @Test("A destination that cannot be rounded to pages below 2^64 is refused")
    func topOfTheAddressSpace() throws {
        let top = try PhysicalRange(start: PhysicalAddress(UInt64.max - 0x1fff), end: PhysicalAddress(UInt64.max))
        let segment = try KexecSegment(buffer: [1, 2, 3], destination: top)
        #expect(throws: StagingSimulationError.destinationOutsideAddressSpace(segment: 0, destination: top)) {
            try KexecStagingSimulator.run(segments: [segment], pageSize: .kib4, order: .ascending)
        }
        // The highest whole page that can be described stages and copies fine.
        let high = try SimulatorFixtures.segment(mem: 0xffff_ffff_fff0_0000, memsz: 0x2000, bufsz: 0x1234, tag: 0x30)
        let report = try KexecStagingSimulator.run(segments: [high], pageSize: .kib4, order: .descending)
        #expect(report.imageMatches && report.invariantsHold, "\(report)")
    }

    // MARK: Memory model

    @Test("Never-written frames hold a garbage pattern derived from the frame number")
    func garbageIsDeterministicAndVisible() {
        let memory = SimulatedMemory(pageSize: .kib4, byteOrder: .little)
        let first = memory.page(containing: 0x5000)
        #expect(first == memory.page(containing: 0x5fff))
        #expect(first != memory.page(containing: 0x6000))
        #expect(memory.byte(at: 0x5123) == SimulatedMemory.garbageByte(base: 0x5000, offset: 0x123, pageSize: .kib4))
        #expect(first.contains { $0 != 0 })
        #expect(memory.writtenFrameCount == 0)
    }
}
