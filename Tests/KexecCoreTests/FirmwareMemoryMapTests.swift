import SystemPackage
import Testing
@testable import KexecCore

@Suite("/sys/firmware/memmap")
struct FirmwareMemoryMapTests {
    @Test func realSixGigabyteGuest() throws {
        let memmap = try Fixtures.memmap("qemu-x86_64-6G")
        #expect(memmap.entries.count == 8)
        #expect(memmap.entries.map(\.index) == Array(0..<8))
        let map = memmap.memoryMap
        #expect(map.systemRAM.ranges == [
            try PhysicalRange(start: 0, inclusiveEnd: 0x9fbff),
            try PhysicalRange(start: 0x100000, inclusiveEnd: 0xbffd_ffff),
            try PhysicalRange(start: 0x1_0000_0000, inclusiveEnd: 0x1_bfff_ffff),
        ])
        // The firmware map is what iomem's System RAM was carved from.
        let iomem = try Fixtures.iomem("qemu-x86_64-6G")
        #expect(map.systemRAM.contains(try PhysicalRange(start: 0x1000, inclusiveEnd: 0x9fbff)))
        #expect(iomem.systemRAM.subtracting(map.systemRAM).isEmpty)
    }

    @Test(arguments: ["qemu-x86_64-512M", "qemu-x86_64-2G", "qemu-x86_64-1536M-crashkernel-256M"])
    func everyFixtureAgreesWithIOMem(name: String) throws {
        let map = try Fixtures.memmap(name).memoryMap
        let iomem = try Fixtures.iomem(name)
        #expect(iomem.systemRAM.subtracting(map.systemRAM).isEmpty)
        // Crash reservations are carved out of RAM by the kernel, not the firmware.
        #expect(map.crashRegions.isEmpty)
    }

    @Test func overlapsResolveTowardsTheLessUsableType() throws {
        let memmap = try FirmwareMemoryMap(parsing: [
            .init(index: 0, start: "0x0\n", end: "0x3fffffff\n", type: "System RAM\n"),
            .init(index: 1, start: "0x10000000\n", end: "0x1fffffff\n", type: "Reserved\n"),
            .init(index: 2, start: "0x18000000\n", end: "0x27ffffff\n", type: "ACPI Tables\n"),
        ])
        let regions = memmap.resolved()
        #expect(regions.map(\.type) == [.systemRAM, .reserved, .acpiTables, .systemRAM])
        #expect(regions.map(\.range.lowerBound.rawValue) == [0, 0x1000_0000, 0x2000_0000, 0x2800_0000])
        #expect(regions.last?.range.upperBound.rawValue == 0x4000_0000)
    }

    @Test func hostileEntriesGiveTypedErrors() {
        let bad: [(FirmwareMemoryMap.RawEntry, String)] = [
            (.init(index: 3, start: "0xzz\n", end: "0x1\n", type: "System RAM\n"), "start"),
            (.init(index: 3, start: "\n", end: "0x1\n", type: "System RAM\n"), "start"),
            (.init(index: 3, start: "0x10\n", end: "0x1\n", type: "System RAM\n"), "end"),
            (.init(index: 3, start: "0x0\n", end: "0x1ffffffffffffffff\n", type: "System RAM\n"), "end"),
            (.init(index: 3, start: "0x0\n", end: "0xffffffffffffffff\n", type: "System RAM\n"), "end"),
            (.init(index: 3, start: "0x0\n", end: "0x1\n", type: "\n"), "type"),
            (.init(index: 3, start: "0x0\n", end: "0x1\n", type: "Sys\u{7}tem\n"), "type"),
        ]
        for (entry, file) in bad {
            #expect {
                try FirmwareMemoryMap(parsing: [entry])
            } throws: { error in
                guard let error = error as? FirmwareMemoryMapError else { return false }
                return error.entry == 3 && error.file == file
            }
        }
    }

    @Test func missingDirectoryIsAFileError() {
        #expect(throws: FileReadError.self) { try FirmwareMemoryMap.read(directory: "/nonexistent/memmap") }
    }
}
