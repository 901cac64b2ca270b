import Foundation
import SystemPackage
import Testing
@testable import ElfNotes
import KexecCore

@Suite("ELF core reader")
struct CoreReaderTests {
    @Test func realisticX86_64Core() throws {
        let core = try ElfCore(source: InMemoryCoreSource(try CoreFixtures.realisticCore()))
        #expect(core.elfClass == .elf64 && core.byteOrder == .little && core.machine == 62)
        #expect(core.architecture == .x86_64)
        #expect(core.programHeaders.map(\.type) == [4, 1, 1, 1])
        #expect(core.notes.notes == CoreFixtures.realisticNotes())
        #expect(core.notes.warnings.isEmpty)
        let statuses = try core.cpuStatuses()
        #expect(statuses.map(\.pid) == [1234, 0])
        #expect(statuses.map(\.registers.instructionPointer) == [0xffff_ffff_8123_4560, 0xffff_ffff_8123_4561])
        #expect(statuses.map(\.registers.stackPointer) == [0xffff_c900_0001_3d00, 0xffff_c900_0001_3e00])
        #expect(core.vmcoreInfo?.osRelease == "6.1.0-56-amd64")
        #expect(core.loads.map(\.isKernelText) == [false, false, true])
        #expect(core.loads.map(\.physical) == [
            try PhysicalRange(start: 0x1000, size: 0x2000), try PhysicalRange(start: 0x10_0000, size: 0x5000),
            try PhysicalRange(start: 0x10_1000, size: 0x1000),
        ])
        #expect(core.holes == [try PhysicalRange(start: 0x3000, end: 0x10_0000)])
        #expect(core.truncatedLoads.isEmpty)
    }

    @Test func physicalReadsFollowTheLoads() throws {
        let core = try ElfCore(source: InMemoryCoreSource(try CoreFixtures.realisticCore()))
        let loads = CoreFixtures.realisticLoads()
        #expect(try core.readPhysical(at: 0x1000, count: 0x2000) == loads[0].bytes)
        #expect(try core.readPhysical(at: 0x1ff0, count: 0x20) == Array(loads[0].bytes[0xff0..<0x1010]))
        // Inside the kernel-text overlap: the same physical bytes either way.
        #expect(try core.readPhysical(at: 0x10_1000, count: 0x100) == Array(loads[1].bytes[0x1000..<0x1100]))
        // Past p_filesz but inside p_memsz: zeros; across that boundary: both.
        #expect(try core.readPhysical(at: 0x10_3000, count: 0x2000) == Array(repeating: 0, count: 0x2000))
        #expect(try core.readPhysical(at: 0x10_2ff8, count: 16) == Array(loads[1].bytes[0x2ff8...]) + Array(repeating: 0, count: 8))
        #expect(core.location(of: 0x10_0010)?.fileOffset == core.loads[1].fileOffset + 0x10)
        #expect(core.location(of: 0x10_4000)?.fileOffset == nil)
        #expect(core.location(of: 0x10_4000)?.load.index == 2)
        #expect(core.location(of: 0x5000) == nil)
        // A read running into the hole names the first missing address.
        #expect(throws: ElfCoreError.physicalHole(address: 0x3000, requested: "[0x2f00, 0x3100)")) {
            try core.readPhysical(at: 0x2f00, count: 0x200)
        }
        #expect(throws: ElfCoreError.physicalHole(address: 0, requested: "[0x0, 0x10)")) {
            try core.readPhysical(at: 0, count: 0x10)
        }
        #expect(throws: ElfCoreError.self) { try core.readPhysical(at: PhysicalAddress(UInt64.max), count: 2) }
        #expect(try core.readPhysical(at: 0x5000, count: 0).isEmpty)
    }

    @Test func adjacentLoadsReadAsOneRange() throws {
        let a = [UInt8](repeating: 0xaa, count: 0x1000)
        let b = [UInt8](repeating: 0xbb, count: 0x800)
        let bytes = try ElfCoreWriter(architecture: .x86_64, noteSegments: [], loads: [
            .init(physicalStart: 0x2000, virtualStart: 0xffff_8880_0000_2000, bytes: b),
            .init(physicalStart: 0x1000, virtualStart: 0xffff_8880_0000_1000, bytes: a),
        ]).bytes()
        let core = try ElfCore(source: InMemoryCoreSource(bytes))
        #expect(try core.readPhysical(at: 0x1800, count: 0x1000) == Array(a[0x800...]) + Array(b))
        #expect(core.holes.isEmpty)
    }

    /// readelf (binutils) and eu-readelf (elfutils) as independent judges of the
    /// program headers and notes of the realistic core.
    @Test func readelfAgreesWithTheReader() throws {
        let bytes = try CoreFixtures.realisticCore()
        let file = try CoreFixtures.write(bytes, name: "vmcore")
        guard let headers = try CoreFixtures.tool(["readelf", "-l", "-W", file.path]), headers.status == 0,
              let notes = try CoreFixtures.tool(["readelf", "-n", "-W", file.path]), notes.status == 0,
              let eu = try CoreFixtures.tool(["eu-readelf", "-n", file.path]), eu.status == 0 else {
            Issue.record("readelf (binutils) and eu-readelf (elfutils) are required for this judge")
            return
        }
        let core = try ElfCore(source: InMemoryCoreSource(bytes))
        #expect(headers.stdout.contains("Elf file type is CORE (Core file)"))
        // "  LOAD 0x001000 0xffff888000001000 0x0000000000001000 0x002000 0x002000 RWE 0"
        var judged: [(String, UInt64, UInt64, UInt64, UInt64, UInt64)] = []
        for line in headers.stdout.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 6, fields[0] == "LOAD" || fields[0] == "NOTE" else { continue }
            let numbers = fields[1...5].compactMap { UInt64($0.dropFirst(2), radix: 16) }
            guard numbers.count == 5 else { continue }
            judged.append((String(fields[0]), numbers[0], numbers[1], numbers[2], numbers[3], numbers[4]))
        }
        #expect(judged.count == core.programHeaders.count)
        for (header, judge) in zip(core.programHeaders, judged) {
            #expect(judge.0 == (header.type == 4 ? "NOTE" : "LOAD"))
            #expect(judge.1 == header.offset && judge.2 == header.virtualAddress && judge.3 == header.physicalAddress)
            #expect(judge.4 == header.fileSize && judge.5 == header.memorySize)
        }
        // "  CORE                 0x00000150\tNT_PRSTATUS (prstatus structure)"
        let noteLines = notes.stdout.split(separator: "\n").filter { $0.hasPrefix("  CORE") || $0.hasPrefix("  VMCOREINFO") }
        #expect(noteLines.count == core.notes.notes.count)
        for (line, note) in zip(noteLines, core.notes.notes) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            #expect(String(fields[0]) == note.name)
            #expect(UInt64(fields[1].dropFirst(2), radix: 16) == UInt64(note.descriptor.count))
        }
        // elfutils decodes the registers itself.
        let values = NotePrStatusTests.fields(eu.stdout)
        #expect(values["pid"] == [1234, 0])
        #expect(values["rip"] == [Int64(bitPattern: 0xffff_ffff_8123_4560), Int64(bitPattern: 0xffff_ffff_8123_4561)])
        #expect(values["rsp"] == [Int64(bitPattern: 0xffff_c900_0001_3d00), Int64(bitPattern: 0xffff_c900_0001_3e00)])
        #expect(eu.stdout.contains("OSRELEASE=6.1.0-56-amd64"))
        #expect(eu.stdout.contains("CRASHTIME=1700000000"))
    }

    /// The capture kernel's view before merging: one PT_NOTE per CPU plus one for
    /// VMCOREINFO, each a buffer with a terminator and zero padding.
    @Test(arguments: [KexecArchitecture.x86_64, .i386, .ppc64, .ppc64le, .ppc])
    func elfcorehdrStyleNotesAreMergedInEitherClassAndOrder(architecture: KexecArchitecture) throws {
        let order = architecture.byteOrder
        let registers = NoteEncodingTests.registers(architecture, ip: 0xc000_1000, sp: 0xc000_2000)
        let cpus = (0..<3).map { PrStatus(pid: Int32(100 + $0), registers: registers).note(byteOrder: order) }
        let info = VmcoreInfo(parsing: "OSRELEASE=6.1.0-50-686\nPAGESIZE=4096\n").note
        let segments = (cpus + [info]).map { NoteMergeTests.crashNotesBuffer($0, byteOrder: order, size: 0x400) }
        let ram = [UInt8](repeating: 0x5a, count: 0x1000)
        let bytes = try ElfCoreWriter(architecture: architecture, noteSegments: segments, loads: [
            .init(physicalStart: 0x10_0000, virtualStart: 0xc010_0000, bytes: ram),
        ]).bytes()
        let core = try ElfCore(source: InMemoryCoreSource(bytes))
        #expect(core.elfClass == (architecture.is64Bit ? .elf64 : .elf32))
        #expect(core.byteOrder == order)
        #expect(core.architecture == architecture)
        #expect(core.notes.notes == cpus + [info])
        #expect(try core.cpuStatuses().map(\.pid) == [100, 101, 102])
        #expect(try core.cpuStatuses().allSatisfy { $0.registers.instructionPointer == 0xc000_1000 && $0.registers.stackPointer == 0xc000_2000 })
        #expect(core.vmcoreInfo?.pageSize == 4096)
        #expect(try core.readPhysical(at: 0x10_0ff0, count: 16) == Array(repeating: 0x5a, count: 16))
        #expect(core.loads.allSatisfy { !$0.isKernelText })
    }

    /// kexec-tools writes an i386 kernel's core header as ELF64 when memory lies
    /// above 4 GiB: the register layout follows e_machine, not the class.
    @Test func i386NotesInAnElf64Core() throws {
        let note = PrStatus(pid: 7, registers: NoteEncodingTests.registers(.i386, ip: 0xc100_0000, sp: 0xc200_0000)).note(byteOrder: .little)
        let bytes = try ElfCoreWriter(elfClass: .elf64, byteOrder: .little, machine: 3,
                                      noteSegments: [ElfNote.encode([note], byteOrder: .little)],
                                      loads: [.init(physicalStart: 0x1_0000_0000, virtualStart: 0, bytes: [1, 2, 3, 4])]).bytes()
        let core = try ElfCore(source: InMemoryCoreSource(bytes))
        #expect(core.architecture == .i386 && core.elfClass == .elf64)
        #expect(try core.cpuStatuses().first?.registers.instructionPointer == 0xc100_0000)
        #expect(try core.readPhysical(at: 0x1_0000_0002, count: 2) == [3, 4])
        // The same core cannot be written as ELF32.
        #expect(throws: ElfCoreError.doesNotFit(field: "program header 1 p_paddr", value: 0x1_0000_0000)) {
            try ElfCoreWriter(elfClass: .elf32, byteOrder: .little, machine: 3, noteSegments: [[]],
                              loads: [.init(physicalStart: 0x1_0000_0000, virtualStart: 0, bytes: [1])]).bytes()
        }
    }

    /// PN_XNUM: e_phnum 0xffff, the real count in section header 0's sh_info.
    @Test func extendedProgramHeaderCount() throws {
        var bytes = try CoreFixtures.realisticCore()
        let shoff = UInt64(bytes.count)
        var section = ByteWriter(byteOrder: .little)
        section.writeZeros(44)
        section.write(UInt32(4))            // sh_info: the real e_phnum
        section.writeZeros(64 - 48)
        bytes += section.bytes
        func patch<T: FixedWidthInteger>(_ value: T, at offset: Int) {
            withUnsafeBytes(of: value.littleEndian) { raw in
                for (index, byte) in raw.enumerated() { bytes[offset + index] = byte }
            }
        }
        patch(shoff, at: 40)                // e_shoff
        patch(UInt16(0xffff), at: 56)       // e_phnum = PN_XNUM
        patch(UInt16(1), at: 60)            // e_shnum
        let core = try ElfCore(source: InMemoryCoreSource(bytes))
        #expect(core.programHeaders.count == 4)
        #expect(try core.cpuStatuses().count == 2)
        let file = try CoreFixtures.write(bytes, name: "xnum")
        if let judge = try CoreFixtures.tool(["readelf", "-l", "-W", file.path]), judge.status == 0 {
            #expect(judge.stdout.contains("There are 4 program headers"))
        }
    }

    @Test func readsFromAFileThroughPread() throws {
        let bytes = try CoreFixtures.realisticCore()
        let file = try CoreFixtures.write(bytes, name: "vmcore")
        let fromFile = try ElfCore.open(FilePath(file.path))
        let inMemory = try ElfCore(source: InMemoryCoreSource(bytes))
        #expect(fromFile.source.size == UInt64(bytes.count))
        #expect(fromFile.programHeaders == inMemory.programHeaders)
        #expect(fromFile.notes == inMemory.notes)
        #expect(try fromFile.readPhysical(at: 0x1000, count: 0x2000) == inMemory.readPhysical(at: 0x1000, count: 0x2000))
        #expect(throws: ElfCoreError.io(path: "/nonexistent/vmcore", operation: "open", offset: nil, errno: .noSuchFileOrDirectory)) {
            try ElfCore.open("/nonexistent/vmcore")
        }
    }
}
