import Foundation
import Testing
@testable import CrashDump
import ElfNotes
import KexecCore

/// A /proc/vmcore-like x86_64 core built with the ElfNotes writers: 2 CPUs,
/// VMCOREINFO, two RAM PT_LOADs and the kernel text.
enum ReportFixtures {
    static let vmcoreinfo = """
        OSRELEASE=6.1.0-56-amd64
        BUILD-ID=3c1b7c6ae2d1bd67e3d94e4f2cc6e8e7f8a12b34
        PAGESIZE=4096
        SYMBOL(init_top_pgt)=ffffffff8a40a000
        OFFSET(page.flags)=0
        NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129
        KERNELOFFSET=8000000
        CRASHTIME=1700000000

        """

    static func core(vmcoreinfo: String? = vmcoreinfo, truncateTo length: Int? = nil) throws -> [UInt8] {
        var cpu0 = X86_64Registers()
        cpu0.rip = 0xffff_ffff_8123_4560
        cpu0.rsp = 0xffff_c900_0001_3d00
        cpu0.rax = 0x2a
        var cpu1 = X86_64Registers()
        cpu1.rip = 0xffff_ffff_8100_1000
        cpu1.rsp = 0xffff_c900_0002_3d00
        var notes = [PrStatus(pid: 1234, registers: .x86_64(cpu0)).note(byteOrder: .little),
                     PrStatus(pid: 0, registers: .x86_64(cpu1)).note(byteOrder: .little)]
        if let vmcoreinfo { notes.append(VmcoreInfo(parsing: vmcoreinfo).note) }
        let bytes = try ElfCoreWriter(architecture: .x86_64, noteSegments: [ElfNote.encode(notes, byteOrder: .little)], loads: [
            .init(physicalStart: 0x1000, virtualStart: 0xffff_8880_0000_1000, bytes: Array(repeating: 1, count: 0x2000)),
            .init(physicalStart: 0x10_0000, virtualStart: 0xffff_8880_0010_0000, bytes: Array(repeating: 2, count: 0x3000)),
            .init(physicalStart: 0x10_1000, virtualStart: 0xffff_ffff_8100_0000, bytes: Array(repeating: 2, count: 0x1000)),
        ]).bytes()
        return length.map { Array(bytes.prefix($0)) } ?? bytes
    }
}

@Suite("vmcore report")
struct VmcoreReportTests {
    @Test func reportOfARealisticCore() throws {
        let core = try ElfCore(source: InMemoryCoreSource(try ReportFixtures.core()))
        let report = try VmcoreReport(core: core, file: "/proc/vmcore")
        #expect(report.osRelease == "6.1.0-56-amd64")
        #expect(report.pageSize == 4096)
        #expect(report.crashTime == 1_700_000_000)
        #expect(report.kernelOffset == 0x800_0000)
        #expect(report.architecture == .x86_64)
        #expect(report.cpus.map(\.pid) == [1234, 0])
        #expect(report.cpus.map(\.instructionPointer) == [0xffff_ffff_8123_4560, 0xffff_ffff_8100_1000])
        #expect(report.cpus.map(\.stackPointer) == [0xffff_c900_0001_3d00, 0xffff_c900_0002_3d00])
        #expect(report.memory.map(\.physical) == [try PhysicalRange(start: 0x1000, size: 0x2000),
                                                  try PhysicalRange(start: 0x10_0000, size: 0x3000)])
        #expect(report.memoryTotal == 0x5000)
        #expect(report.kernelText?.virtualStart == VirtualAddress(0xffff_ffff_8100_0000))
        #expect(report.kernelText?.physical == (try PhysicalRange(start: 0x10_1000, size: 0x1000)))
        #expect(report.warnings.isEmpty)

        let text = report.text
        #expect(text.contains("release:       6.1.0-56-amd64\n"))
        #expect(text.contains("crash time:    1700000000 (2023-11-14T22:13:20Z)\n"))
        #expect(text.contains("cpus:          2\n"))
        #expect(text.contains("  cpu 0: pid 1234  rip 0xffffffff81234560  rsp 0xffffc90000013d00\n"))
        #expect(text.contains("rax      0x000000000000002a"))
        #expect(text.contains("memory:        2 ranges, 20480 bytes (20 KiB)\n"))
        #expect(text.contains("  0x0000000000001000-0x0000000000003000  size 0x2000 (8 KiB)  vaddr 0xffff888000001000"))
        #expect(text.contains("kernel text:   0x0000000000101000-0x0000000000102000"))
    }

    @Test func jsonIsOneObjectWithHexAddresses() throws {
        let core = try ElfCore(source: InMemoryCoreSource(try ReportFixtures.core()))
        let json = try VmcoreReport(core: core, file: "dump \"1\"\n").json
        #expect(json.hasSuffix("}\n") && json.filter { $0 == "\n" }.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["file"] as? String == "dump \"1\"\n")
        #expect(object["release"] as? String == "6.1.0-56-amd64")
        #expect(object["pageSize"] as? Int == 4096)
        #expect(object["crashTime"] as? Int == 1_700_000_000)
        #expect(object["crashTimeUTC"] as? String == "2023-11-14T22:13:20Z")
        #expect(object["kernelOffset"] as? String == "0x8000000")
        #expect(object["cpuCount"] as? Int == 2)
        let cpus = try #require(object["cpus"] as? [[String: Any]])
        #expect(cpus.first?["instructionPointer"] as? String == "0xffffffff81234560")
        #expect(cpus.first?["stackPointer"] as? String == "0xffffc90000013d00")
        let registers = try #require(cpus.first?["registers"] as? [String: String])
        #expect(registers.count == 27 && registers["rax"] == "0x2a" && registers["rip"] == "0xffffffff81234560")
        let memory = try #require(object["memory"] as? [[String: Any]])
        #expect(memory.map { $0["physicalStart"] as? String } == ["0x1000", "0x100000"])
        #expect(memory.map { $0["physicalEnd"] as? String } == ["0x3000", "0x103000"])
        #expect(memory.map { $0["size"] as? Int } == [0x2000, 0x3000])
        let text = try #require(object["kernelText"] as? [String: Any])
        #expect(text["virtualStart"] as? String == "0xffffffff81000000")
        #expect((object["warnings"] as? [Any])?.isEmpty == true)
    }

    @Test func missingAndDamagedVmcoreinfoAreWarnings() throws {
        let none = try VmcoreReport(core: ElfCore(source: InMemoryCoreSource(try ReportFixtures.core(vmcoreinfo: nil))), file: "x")
        #expect(none.osRelease == nil && !none.hasVmcoreInfo)
        #expect(none.warnings == ["no VMCOREINFO note: release, page size and crash time are unknown"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(none.json.utf8)) as? [String: Any])
        #expect(object["release"] is NSNull && object["pageSize"] is NSNull)

        let damaged = try VmcoreReport(core: ElfCore(source: InMemoryCoreSource(
            try ReportFixtures.core(vmcoreinfo: "OSRELEASE=6.1.0\nPAGESIZE=lots\n"))), file: "x")
        #expect(damaged.osRelease == "6.1.0" && damaged.pageSize == nil)
        #expect(damaged.warnings == ["VMCOREINFO line 2: PAGESIZE=lots is not an unsigned decimal number"])

        let cut = try VmcoreReport(core: ElfCore(source: InMemoryCoreSource(try ReportFixtures.core(truncateTo: 0x2000))), file: "x")
        #expect(cut.warnings.count == 3 && cut.warnings.allSatisfy { $0.contains("runs past the end") })
    }

    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00Z"),
        (1_700_000_000, "2023-11-14T22:13:20Z"),
        (951_782_400, "2000-02-29T00:00:00Z"),
        (-1, "1969-12-31T23:59:59Z"),
        (4_102_444_800, "2100-01-01T00:00:00Z"),
    ])
    func utcTime(seconds: Int64, expected: String) {
        #expect(UTCTime.format(seconds: seconds) == expected)
    }

    @Test func extremeTimesDoNotTrap() {
        _ = UTCTime.format(seconds: .max)
        _ = UTCTime.format(seconds: .min)
    }

    @Test func jsonEscaping() {
        #expect(JSONValue.string("a\"b\\c\u{1}\t").encoded == #""a\"b\\c\u0001\t""#)
        #expect(JSONValue.object([("k", .array([.null, .bool(true), .integer(-1), .unsigned(.max)]))]).encoded
                == #"{"k":[null,true,-1,18446744073709551615]}"#)
    }
}
