import Foundation
import KexecCore
import SegmentPlanner
import Testing

/// Segments and checks shared by the staging simulator tests.
enum SimulatorFixtures {
    /// `count` bytes that are never zero (so zero fill and wiped bytes stand out),
    /// with a random byte every 97 bytes so an in-page shift cannot go unnoticed.
    static func content(count: Int, tag: UInt8, seed: UInt64) -> [UInt8] {
        var bytes = [UInt8](repeating: tag | 1, count: count)
        var generator = SplitMix64(seed: seed)
        var index = 0
        while index < count {
            bytes[index] = UInt8(truncatingIfNeeded: generator.next()) | 1
            index += 97
        }
        return bytes
    }

    /// A segment at `[mem, mem + memsz)` whose first `bufsz` bytes come from ``content(count:tag:seed:)``.
    static func segment(mem: UInt64, memsz: UInt64, bufsz: Int, tag: UInt8) throws -> KexecSegment {
        let destination = try PhysicalRange(start: PhysicalAddress(mem), size: memsz)
        return try KexecSegment(buffer: content(count: bufsz, tag: tag, seed: mem ^ UInt64(tag)), destination: destination)
    }

    /// A kernel-like image scaled down, given in a deliberately unsorted list order:
    /// a kernel with bss (bufsz < memsz), an initrd, boot parameters smaller than a
    /// page, purgatory, and a scratch segment with an empty buffer.
    static func kernelLikeImage(pageSize: PageSize) throws -> [KexecSegment] {
        let page = pageSize.bytes
        return [
            try segment(mem: 0x100 * page, memsz: 20 * page, bufsz: Int(19 * page + 123), tag: 0x20),  // initrd
            try segment(mem: 0x20 * page, memsz: 64 * page, bufsz: Int(48 * page + 7), tag: 0x40),  // kernel + bss
            try segment(mem: 0x10 * page, memsz: page, bufsz: 0x2a0, tag: 0x60),  // boot parameters
            try segment(mem: 0x80 * page, memsz: 2 * page, bufsz: 0, tag: 0x80),  // empty buffer, zero fill only
            try segment(mem: 0x62 * page, memsz: 3 * page, bufsz: Int(2 * page + 99), tag: 0xa0),  // purgatory
        ]
    }

    /// A random layout of 1 to 6 page-aligned, disjoint segments of 0 to `maxPages`
    /// pages (bufsz anywhere from 0 to memsz, one buffer always empty when there are
    /// several segments), in a random list order.
    static func randomImage(pageSize: PageSize, maxPages: UInt64, generator: inout SplitMix64) throws -> [KexecSegment] {
        let page = pageSize.bytes
        let count = 1 + generator.next(below: 6)
        let emptyBuffer = count > 1 ? generator.next(below: count) : -1
        var next = UInt64(generator.next(below: 16)) * page
        var segments: [KexecSegment] = []
        for index in 0 ..< count {
            let pages = UInt64(generator.next(below: Int(maxPages) + 1))
            let memsz = pages * page
            let bufsz = index == emptyBuffer || memsz == 0 ? 0 : generator.next(below: Int(memsz) + 1)
            segments.append(try segment(mem: next, memsz: memsz, bufsz: bufsz, tag: UInt8(truncatingIfNeeded: 0x11 * (index + 1))))
            next += memsz + UInt64(generator.next(below: 4)) * page
        }
        var shuffled = segments
        var index = shuffled.count - 1
        while index > 0 {
            shuffled.swapAt(index, generator.next(below: index + 1))
            index -= 1
        }
        return shuffled
    }

    /// An independent byte-for-byte check of memory after exec, not using the
    /// simulator's own verifier: each segment's buffer, then zeros to memsz.
    /// (`Data` equality is a `memcmp`; generic `==` on `[UInt8]` in a debug build
    /// compares a byte at a time through value witnesses and would take seconds.)
    static func expectImageInMemory(_ report: SimulationReport, sourceLocation: SourceLocation = #_sourceLocation) {
        let pageBytes = report.pageSize.bytes
        for (index, segment) in report.segments.enumerated() where !segment.destination.isEmpty {
            var actual: [UInt8] = []
            var base = segment.destination.lowerBound.alignedDown(to: report.pageSize.alignment)
            while base < segment.destination.upperBound {
                actual += report.memory.page(containing: base)
                base = PhysicalAddress(base.rawValue + pageBytes)
            }
            let skip = Int(segment.destination.lowerBound.rawValue % pageBytes)
            let window = actual[skip ..< skip + Int(segment.memorySize)]
            let expected = segment.buffer + [UInt8](repeating: 0, count: Int(segment.memorySize) - segment.buffer.count)
            #expect(Data(window) == Data(expected), "segment \(index) at \(segment.destination)", sourceLocation: sourceLocation)
        }
    }
}
