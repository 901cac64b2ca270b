import KexecTestSupport
import Testing
@testable import KexecCore

@Suite("Addresses and ranges")
struct AddressTests {
    @Test func arithmeticIsCheckedAtTheTopOfTheAddressSpace() throws {
        let top = PhysicalAddress(UInt64.max)
        #expect(throws: AddressError.self) { try top.adding(1) }
        #expect(try PhysicalAddress(UInt64.max - 1).adding(1) == top)
        #expect(throws: AddressError.self) { try PhysicalAddress(0).subtracting(1) }
        #expect(try top.distance(from: PhysicalAddress(UInt64.max - 10)) == 10)
        #expect(throws: AddressError.self) { try PhysicalAddress(1).distance(from: PhysicalAddress(2)) }
    }

    @Test func alignment() throws {
        let page = Alignment.kib4
        #expect(PhysicalAddress(0x1234).alignedDown(to: page) == 0x1000)
        #expect(try PhysicalAddress(0x1234).alignedUp(to: page) == 0x2000)
        #expect(try PhysicalAddress(0x2000).alignedUp(to: page) == 0x2000)
        #expect(PhysicalAddress(UInt64.max).alignedDown(to: page) == PhysicalAddress(UInt64.max - 0xfff))
        #expect(throws: AddressError.self) { try PhysicalAddress(UInt64.max - 0xffe).alignedUp(to: page) }
        #expect(try PhysicalAddress(UInt64.max - 0xfff).alignedUp(to: page) == PhysicalAddress(UInt64.max - 0xfff))
        for bad: UInt64 in [0, 3, 0x1001, UInt64.max] {
            #expect(throws: AddressError.invalidAlignment(bad)) { try Alignment(bytes: bad) }
        }
        #expect(try Alignment(bytes: 1 << 63).mask == (1 << 63) - 1)
    }

    @Test func rangesAreHalfOpenAndChecked() throws {
        let range = try PhysicalRange(start: 0x1000, size: 0x1000)
        #expect(range.contains(PhysicalAddress(0x1000)))
        #expect(range.contains(PhysicalAddress(0x1fff)))
        #expect(!range.contains(PhysicalAddress(0x2000)))
        #expect(range.lastAddress == 0x1fff)
        #expect(throws: AddressError.endBeforeStart(start: 2, end: 1)) { try PhysicalRange(start: 2, end: 1) }
        #expect(throws: AddressError.self) { try PhysicalRange(start: PhysicalAddress(UInt64.max - 10), size: 20) }
        #expect(throws: AddressError.endPastAddressSpace(start: 5)) {
            try PhysicalRange(start: 5, inclusiveEnd: PhysicalAddress(UInt64.max))
        }
        let top = try PhysicalRange(start: PhysicalAddress(UInt64.max - 0x1000), end: PhysicalAddress(UInt64.max))
        #expect(top.size == 0x1000)
        #expect(try PhysicalRange(start: 0x1000, inclusiveEnd: 0x1fff) == range)
        #expect(try PhysicalRange(start: 7, inclusiveEnd: 7).size == 1)
    }

    @Test func overlapIntersectionSubtraction() throws {
        let a = try PhysicalRange(start: 0x1000, end: 0x5000)
        let b = try PhysicalRange(start: 0x4000, end: 0x8000)
        let empty = try PhysicalRange(start: 0x2000, end: 0x2000)
        #expect(a.overlaps(b) && b.overlaps(a))
        #expect(!a.overlaps(empty))
        #expect(!a.overlaps(try PhysicalRange(start: 0x5000, end: 0x6000)), "touching is not overlapping")
        #expect(a.intersection(b) == (try PhysicalRange(start: 0x4000, end: 0x5000)))
        #expect(a.subtracting(b) == [try PhysicalRange(start: 0x1000, end: 0x4000)])
        #expect(a.subtracting(try PhysicalRange(start: 0x2000, end: 0x3000)) == [
            try PhysicalRange(start: 0x1000, end: 0x2000), try PhysicalRange(start: 0x3000, end: 0x5000),
        ])
        #expect(a.subtracting(try PhysicalRange(start: 0, end: 0x9000)).isEmpty)
        #expect(a.contains(try PhysicalRange(start: 0x1000, end: 0x5000)))
        #expect(!a.contains(b))
    }

    @Test func alignedInwardAndOutward() throws {
        let range = try PhysicalRange(start: 0x1234, end: 0x5678)
        #expect(range.alignedInward(to: .kib4) == (try PhysicalRange(start: 0x2000, end: 0x5000)))
        #expect(try range.alignedOutward(to: .kib4) == (try PhysicalRange(start: 0x1000, end: 0x6000)))
        #expect(try PhysicalRange(start: 0x1001, end: 0x1fff).alignedInward(to: .kib4) == nil)
        let nearTop = try PhysicalRange(start: PhysicalAddress(UInt64.max - 0x1800), end: PhysicalAddress(UInt64.max - 0x10))
        #expect(throws: AddressError.self) { try nearTop.alignedOutward(to: .kib4) }
        #expect(nearTop.alignedInward(to: .kib4) == nil, "no whole page inside")
        let wider = try PhysicalRange(start: PhysicalAddress(UInt64.max - 0x2800), end: PhysicalAddress(UInt64.max - 0x10))
        #expect(wider.alignedInward(to: .kib4) == (try PhysicalRange(start: PhysicalAddress(UInt64.max - 0x1fff), end: PhysicalAddress(UInt64.max - 0xfff))))
    }

    @Test func descriptionsUseKernelHex() throws {
        #expect(PhysicalAddress(0xfee0_0000).description == "0xfee00000")
        #expect(VirtualAddress(0xffff_ffff_8100_0000).description == "0xffffffff81000000")
        #expect(try PhysicalRange(start: 0x1000, size: 0x10).description == "[0x1000, 0x1010)")
    }
}

@Suite("Range sets")
struct AddressRangeSetTests {
    /// Random ranges over a 256-byte universe, compared against a plain bitmap.
    private func randomSet(_ rng: inout SeededGenerator) -> (PhysicalRangeSet, [Bool]) {
        var bits = [Bool](repeating: false, count: 256)
        var ranges: [PhysicalRange] = []
        for _ in 0..<Int.random(in: 0...6, using: &rng) {
            let start = UInt64.random(in: 0...255, using: &rng)
            let end = UInt64.random(in: start...256, using: &rng)
            ranges.append(try! PhysicalRange(start: PhysicalAddress(start), end: PhysicalAddress(end)))
            for i in start..<end { bits[Int(i)] = true }
        }
        return (PhysicalRangeSet(ranges), bits)
    }

    private func bitmap(_ set: PhysicalRangeSet) -> [Bool] {
        (0..<256).map { set.contains(PhysicalAddress(UInt64($0))) }
    }

    @Test func setAlgebraMatchesABitmapModel() {
        var rng = SeededGenerator(seed: 0x5eed)
        for _ in 0..<2000 {
            let (a, aBits) = randomSet(&rng)
            let (b, bBits) = randomSet(&rng)
            for set in [a, b, a.union(b), a.intersection(b), a.subtracting(b)] {
                #expect(set.checkInvariants() == nil)
            }
            #expect(bitmap(a) == aBits)
            #expect(bitmap(a.union(b)) == zip(aBits, bBits).map { $0 || $1 })
            #expect(bitmap(a.intersection(b)) == zip(aBits, bBits).map { $0 && $1 })
            #expect(bitmap(a.subtracting(b)) == zip(aBits, bBits).map { $0 && !$1 })
            #expect(a.totalSize == UInt64(aBits.filter { $0 }.count))
        }
    }

    @Test func setsReachTheTopOfTheAddressSpace() throws {
        let high = try PhysicalRange(start: PhysicalAddress(UInt64.max - 0x2000), end: PhysicalAddress(UInt64.max))
        let set = PhysicalRangeSet([high, try PhysicalRange(start: 0, size: 0x1000)])
        #expect(set.totalSize == 0x3000)
        let hole = try PhysicalRange(start: PhysicalAddress(UInt64.max - 0x1800), size: 0x100)
        #expect(set.subtracting(hole).ranges.count == 3)
        #expect(set.containingRange(of: PhysicalAddress(UInt64.max - 1)) == high)
        #expect(set.containingRange(of: PhysicalAddress(0x1000)) == nil)
    }
}
