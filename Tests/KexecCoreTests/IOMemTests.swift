import KexecTestSupport
import Testing
@testable import KexecCore

@Suite("/proc/iomem from real qemu guests")
struct IOMemFixtureTests {
    static let all = [
        "qemu-x86_64-512M", "qemu-x86_64-2G", "qemu-x86_64-6G", "qemu-x86_64-2G-crashkernel-256M",
        "qemu-x86_64-6G-crashkernel-high", "qemu-x86_64-1536M-crashkernel-256M",
    ]

    @Test(arguments: all)
    func everyFixtureParsesAndRoundTrips(name: String) throws {
        let text = try Fixtures.iomemText(name)
        let iomem = try IOMem(parsing: text)
        // Re-render the tree the way the kernel prints it and compare line by line.
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        let rendered = iomem.allResources.map { depth, resource in
            let width = 8  // kernel/resource.c prints %0*llx with width 8 for iomem
            func hex(_ value: UInt64) -> String {
                let digits = String(value, radix: 16)
                return String(repeating: "0", count: max(0, width - digits.count)) + digits
            }
            return String(repeating: " ", count: depth * 2)
                + "\(hex(resource.range.lowerBound.rawValue))-\(hex(resource.range.upperBound.rawValue - 1)) : \(resource.name)"
        }
        #expect(rendered == lines)
        // Every "Kernel ..." resource lies in System RAM.
        for kernel in iomem.kernelImage {
            #expect(iomem.systemRAM.contains(kernel.range), "\(kernel.name) outside System RAM")
        }
    }

    @Test(arguments: [("qemu-x86_64-512M", 512 * MiB), ("qemu-x86_64-2G", 2 * GiB), ("qemu-x86_64-6G", 6 * GiB)])
    func systemRAMMatchesTheGuestSize(name: String, size: UInt64) throws {
        let ram = try Fixtures.iomem(name).systemRAM
        // SeaBIOS keeps the first page, the EBDA (0x9fc00-0xfffff) and 128 KiB below
        // the top of low memory for itself.
        let missing = size - ram.totalSize
        #expect(missing > 0 && missing < 1 * MiB, "\(missing) bytes not RAM")
        #expect(ram.ranges.first?.lowerBound == 0x1000)
    }

    @Test func sixGigabytesSplitAroundThePCIHole() throws {
        let iomem = try Fixtures.iomem("qemu-x86_64-6G")
        #expect(iomem.systemRAM.ranges == [
            try PhysicalRange(start: 0x1000, inclusiveEnd: 0x9fbff),
            try PhysicalRange(start: 0x100000, inclusiveEnd: 0xbffd_ffff),
            try PhysicalRange(start: 0x1_0000_0000, inclusiveEnd: 0x1_bfff_ffff),
        ])
        #expect(iomem.crashKernelRegions.isEmpty)
        let pciHole = try PhysicalRange(start: 0xc000_0000, end: 0x1_0000_0000)
        #expect(!iomem.systemRAM.overlaps(pciHole))
        #expect(iomem.ranges(named: "PCI Bus 0000:00").overlaps(pciHole))
    }

    @Test func crashkernelGivesOneRegionInsideRAM() throws {
        let iomem = try Fixtures.iomem("qemu-x86_64-2G-crashkernel-256M")
        #expect(iomem.crashKernelRegions == [try PhysicalRange(start: 0x6f00_0000, inclusiveEnd: 0x7eff_ffff)])
        #expect(iomem.crashKernelRegions[0].size == 256 * MiB)
        #expect(iomem.systemRAM.contains(iomem.crashKernelRegions[0]))
        let map = MemoryMap(iomem: iomem)
        #expect(map.loadableCrashRegion == iomem.crashKernelRegions[0])
        #expect(map.kernelImage.count == 4)
    }

    @Test func crashkernelHighGivesTwoRegionsAndTheHighOneLoads() throws {
        let iomem = try Fixtures.iomem("qemu-x86_64-6G-crashkernel-high")
        let regions = iomem.crashKernelRegions
        #expect(regions.count == 2)
        #expect(regions[0].upperBound.rawValue <= 1 << 32, "low region below 4 GiB")
        #expect(regions[1].lowerBound.rawValue >= 1 << 32, "high region above 4 GiB")
        #expect(regions[1].size == 512 * MiB)
        let map = MemoryMap(iomem: iomem)
        #expect(map.loadableCrashRegion == regions[1])
        #expect(map.totalCrashSize == regions[0].size + regions[1].size)
        #expect(map.systemRAM.subtracting(PhysicalRangeSet(regions)).totalSize == map.systemRAM.totalSize - map.totalCrashSize)
    }

    @Test func memoryMapTypesFromIOMem() throws {
        let map = MemoryMap(iomem: try Fixtures.iomem("qemu-x86_64-1536M-crashkernel-256M"))
        #expect(map.ranges(of: .reserved).contains(try PhysicalRange(start: 0, size: 0x1000)))
        #expect(map.ranges(of: .reserved).contains(try PhysicalRange(start: 0xfd_0000_0000, inclusiveEnd: 0xff_ffff_ffff)))
        #expect(map.systemRAM.totalSize < 1536 * MiB)
    }
}

@Suite("/proc/iomem structure")
struct IOMemStructureTests {
    @Test func nestedResourcesAndNames() throws {
        let text = """
            00000000-00000fff : Reserved
            00001000-0009fbff : System RAM
            00100000-3fffffff : System RAM
              01000000-01ffffff : Kernel code
              20000000-2fffffff : Crash kernel
            40000000-4fffffff : ACPI Non-volatile Storage
            50000000-5fffffff : Persistent Memory (legacy)
            60000000-6fffffff : Persistent Memory
              60000000-6fffffff : dax0.0
                60000000-6fffffff : System RAM (kmem)
            70000000-7fffffff : ACPI Tables
            80000000-8fffffff : Soft Reserved
            90000000-9fffffff : reserved

            """
        let iomem = try IOMem(parsing: text)
        #expect(iomem.resources.count == 9)
        #expect(iomem.resources[2].children.map(\.name) == ["Kernel code", "Crash kernel"])
        #expect(iomem.resources[2].children[1].line == 5)
        #expect(iomem.systemRAM.totalSize == 0x9ec00 + 0x3ff0_0000)
        let map = MemoryMap(iomem: iomem)
        #expect(map.ranges(of: .acpiNVS).totalSize == 0x1000_0000)
        #expect(map.ranges(of: .persistentMemoryLegacy).totalSize == 0x1000_0000)
        #expect(map.ranges(of: .persistentMemory).totalSize == 0x1000_0000)
        #expect(map.ranges(of: .systemRAMKmem).totalSize == 0x1000_0000)
        #expect(map.ranges(of: .acpiTables).totalSize == 0x1000_0000)
        #expect(map.ranges(of: .softReserved).totalSize == 0x1000_0000)
        #expect(map.ranges(of: .reserved).totalSize == 0x1000 + 0x1000_0000)
        #expect(!map.systemRAM.contains(PhysicalAddress(0x6000_0000)), "kmem RAM is not boot RAM")
        #expect(map.crashRegions == [try PhysicalRange(start: 0x2000_0000, inclusiveEnd: 0x2fff_ffff)])
    }

    @Test func resourcesDeeperThanTheKernelIndentsAreNested() throws {
        // kernel/resource.c stops indenting at depth 5.
        let text = """
            00000000-ffffffff : a
              00000000-0fffffff : b
                00000000-00ffffff : c
                  00000000-000fffff : d
                    00000000-0000ffff : e
                      00000000-00000fff : f
                      00000000-000000ff : g
                      00001000-00001fff : h
            """
        let iomem = try IOMem(parsing: text)
        let depths = iomem.allResources.map { ($0.depth, $0.resource.name) }
        #expect(depths.map(\.0) == [0, 1, 2, 3, 4, 5, 6, 5])
        #expect(depths.map(\.1) == ["a", "b", "c", "d", "e", "f", "g", "h"])
    }

    @Test func crlfAndBlankLinesAreTolerated() throws {
        let iomem = try IOMem(parsing: "00001000-0009fbff : System RAM\r\n\r\n00100000-001fffff : System RAM\r\n")
        #expect(iomem.systemRAM.ranges.count == 2)
        #expect(try IOMem(parsing: "").resources.isEmpty)
    }
}

@Suite("/proc/iomem hostile input")
struct IOMemHostileTests {
    typealias Reason = IOMemParseError.Reason

    static let cases: [(String, Int, Reason)] = [
        ("0000zz00-00000fff : System RAM", 1, .invalidHexDigit(field: "start")),
        ("00000000-0000gfff : System RAM", 1, .invalidHexDigit(field: "end")),
        ("00000000 00000fff : System RAM", 1, .invalidHexDigit(field: "start")),
        ("-00000fff : System RAM", 1, .emptyNumber(field: "start")),
        ("00001000- : x", 1, .emptyNumber(field: "end")),
        ("00000000-00000fff System RAM", 1, .missingNameSeparator),
        ("00000000-00000fff :\tSystem RAM", 1, .missingNameSeparator),
        ("00000000-00000fff : System\tRAM", 1, .invalidCharacter(byte: 9)),
        ("00000000-00000fff", 1, .missingNameSeparator),
        ("00000000-00000fff :System RAM", 1, .missingNameSeparator),
        ("00002000-00000fff : System RAM", 1, .endBeforeStart(start: 0x2000, end: 0xfff)),
        ("00000000-ffffffffffffffff : everything", 1, .endPastAddressSpace),
        ("10000000000000000-ffffffffffffffffff : x", 1, .valueTooLarge(field: "start")),
        (" 00000000-00000fff : x", 1, .oddIndentation(spaces: 1)),
        ("  00000000-00000fff : x", 1, .nestingJump(openLevels: 0, depth: 1)),
        ("00000000-0fffffff : a\n      00000000-00000fff : b", 2, .nestingJump(openLevels: 1, depth: 3)),
        ("00000000-0fffffff : a\n" + String(repeating: " ", count: 12) + "00000000-00000fff : b", 2, .tooDeep(depth: 6)),
        ("00000000-00000fff : a\n  00000000-00001fff : b", 2,
         .outsideParent(parentLine: 1, parent: try! PhysicalRange(start: 0, size: 0x1000))),
        ("00000000-00001fff : a\n00001000-00002fff : b", 2,
         .overlapsSibling(siblingLine: 1, sibling: try! PhysicalRange(start: 0, size: 0x2000))),
        ("00002000-00002fff : a\n00001000-00001fff : b", 2,
         .outOfOrder(siblingLine: 1, sibling: try! PhysicalRange(start: 0x2000, size: 0x1000))),
        ("00000000-00000fff : bad\u{01}name", 1, .invalidCharacter(byte: 1)),
        ("00000000-00000000 : Reserved\n00000000-00000000 : System RAM\n  00000000-00000000 : Kernel code", 2, .addressesHidden),
    ]

    @Test(arguments: cases)
    func malformedLinesGiveTypedErrors(text: String, line: Int, reason: Reason) {
        #expect {
            try IOMem(parsing: text)
        } throws: { error in
            guard let error = error as? IOMemParseError else { return false }
            return error.line == line && error.reason == reason
        }
    }

    @Test func errorsNameLineAndColumn() throws {
        let text = "00000000-00000fff : Reserved\n00001000-0009fbff : System RAM\n  00002000-0000xfff : Kernel code\n"
        do {
            _ = try IOMem(parsing: text)
            Issue.record("expected an error")
        } catch {
            #expect(error.line == 3)
            #expect(error.column == 16)
            #expect(error.description == "/proc/iomem line 3, column 16: end address is not hexadecimal")
        }
    }

    @Test func tenMegabytesOfGarbageFailFast() {
        var rng = SeededGenerator(seed: 42)
        let garbage = (0..<10_000_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        #expect(throws: IOMemParseError.self) { try IOMem(parsing: garbage) }
        let noNewline = [UInt8](repeating: UInt8(ascii: "0"), count: 10_000_000)
        #expect {
            try IOMem(parsing: noNewline)
        } throws: { error in
            (error as? IOMemParseError)?.reason == .lineTooLong(length: 10_000_000)
        }
    }

    @Test func absurdNestingIsRefused() {
        var text = ""
        for depth in 0..<1000 {
            text += String(repeating: "  ", count: depth) + "00000000-ffffffff : level\(depth)\n"
        }
        #expect {
            try IOMem(parsing: text)
        } throws: { error in
            (error as? IOMemParseError)?.reason == .tooDeep(depth: 6)
        }
    }

    @Test func randomMutationsOfRealTextNeverCrash() throws {
        let original = Array(try Fixtures.iomemText("qemu-x86_64-6G-crashkernel-high").utf8)
        var rng = SeededGenerator(seed: 7)
        var accepted = 0
        for _ in 0..<3000 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let index = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0...3, using: &rng) {
                case 0: bytes[index] = UInt8.random(in: 0...255, using: &rng)
                case 1: bytes.remove(at: index)
                case 2: bytes.insert(UInt8.random(in: 0x20...0x7e, using: &rng), at: index)
                default: bytes = Array(bytes[0..<index])
                }
                if bytes.isEmpty { break }
            }
            if let parsed = try? IOMem(parsing: bytes) {
                accepted += 1
                // Whatever is accepted keeps the invariants.
                for (_, resource) in parsed.allResources {
                    for child in resource.children { #expect(resource.range.contains(child.range)) }
                    for (a, b) in zip(resource.children, resource.children.dropFirst()) {
                        #expect(a.range.upperBound <= b.range.lowerBound)
                    }
                }
            }
        }
        #expect(accepted > 0)
    }
}
