import Foundation
import Testing
import ElfNotes
import KexecCore

/// End-to-end runs of the vmcore-dump executable on core files written here.
@Suite("vmcore-dump end to end", .serialized)
struct VmcoreDumpCommandTests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ arguments: [String]) throws -> Run {
        let process = Process()
        let directory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        process.executableURL = directory.appendingPathComponent("vmcore-dump")
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                   stderr: String(decoding: errData, as: UTF8.self))
    }

    /// An x86_64 core like /proc/vmcore: 2 CPUs, VMCOREINFO, 2 RAM ranges, kernel text.
    static func writeCore(_ bytes: [UInt8]? = nil) throws -> String {
        let contents: [UInt8]
        if let bytes {
            contents = bytes
        } else {
            var cpu0 = X86_64Registers()
            cpu0.rip = 0xffff_ffff_8123_4560
            cpu0.rsp = 0xffff_c900_0001_3d00
            var cpu1 = X86_64Registers()
            cpu1.rip = 0xffff_ffff_8100_1000
            cpu1.rsp = 0xffff_c900_0002_3d00
            let info = VmcoreInfo(parsing: "OSRELEASE=6.1.0-56-amd64\nPAGESIZE=4096\nKERNELOFFSET=8000000\nCRASHTIME=1700000000\n")
            let notes = [PrStatus(pid: 1234, registers: .x86_64(cpu0)).note(byteOrder: .little),
                         PrStatus(pid: 0, registers: .x86_64(cpu1)).note(byteOrder: .little), info.note]
            contents = try ElfCoreWriter(architecture: .x86_64, noteSegments: [ElfNote.encode(notes, byteOrder: .little)], loads: [
                .init(physicalStart: 0x1000, virtualStart: 0xffff_8880_0000_1000, bytes: Array(repeating: 1, count: 0x2000)),
                .init(physicalStart: 0x10_0000, virtualStart: 0xffff_8880_0010_0000, bytes: Array(repeating: 2, count: 0x3000)),
                .init(physicalStart: 0x10_1000, virtualStart: 0xffff_ffff_8100_0000, bytes: Array(repeating: 2, count: 0x1000)),
            ]).bytes()
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vmcore-dump-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("vmcore")
        try Data(contents).write(to: file)
        return file.path
    }

    @Test func infoJSONIsOneObjectAloneOnStdout() throws {
        let path = try Self.writeCore()
        let run = try Self.run(["info", "--json", path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.isEmpty)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(object["file"] as? String == path)
        #expect(object["release"] as? String == "6.1.0-56-amd64")
        #expect(object["pageSize"] as? Int == 4096)
        #expect(object["crashTime"] as? Int == 1_700_000_000)
        #expect(object["cpuCount"] as? Int == 2)
        let cpus = try #require(object["cpus"] as? [[String: Any]])
        #expect(cpus.map { $0["pid"] as? Int } == [1234, 0])
        #expect(cpus.map { $0["instructionPointer"] as? String } == ["0xffffffff81234560", "0xffffffff81001000"])
        #expect(cpus.map { $0["stackPointer"] as? String } == ["0xffffc90000013d00", "0xffffc90000023d00"])
        #expect((object["memory"] as? [Any])?.count == 2)
        #expect((object["kernelText"] as? [String: Any])?["physicalStart"] as? String == "0x101000")
    }

    @Test func infoText() throws {
        let run = try Self.run(["info", try Self.writeCore()])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("release:       6.1.0-56-amd64\n"))
        #expect(run.stdout.contains("page size:     4096\n"))
        #expect(run.stdout.contains("cpus:          2\n"))
        #expect(run.stdout.contains("  cpu 1: pid 0  rip 0xffffffff81001000  rsp 0xffffc90000023d00\n"))
        #expect(run.stdout.contains("kernel text:"))
    }

    @Test func errorsExitOneNamingTheProblem() throws {
        let missing = try Self.run(["info", "/nonexistent/vmcore"])
        #expect(missing.status == 1)
        #expect(missing.stderr == "vmcore-dump: /nonexistent/vmcore: cannot open /nonexistent/vmcore: No such file or directory\n")
        #expect(missing.stdout.isEmpty)

        let text = try Self.run(["info", "--json", try Self.writeCore(Array("not a core\n".utf8))])
        #expect(text.status == 1 && text.stdout.isEmpty)
        #expect(text.stderr.contains("is not a vmcore: it starts with neither an ELF, a KDUMP/DISKDUMP nor a makedumpfile flattened signature"))

        var header = Array(try Data(contentsOf: URL(fileURLWithPath: try Self.writeCore())))
        header[16] = 2  // e_type ET_EXEC
        let exec = try Self.run(["info", try Self.writeCore(header)])
        #expect(exec.status == 1)
        #expect(exec.stderr.contains("e_type at byte offset 16 is 2, not ET_CORE (4)"))

        let cut = try Self.run(["info", try Self.writeCore(Array(header.prefix(100)))])
        #expect(cut.status == 1)
        #expect(cut.stderr.contains("at byte offset"))
    }

    @Test(arguments: ["kdump", "elf", "flat"])
    func saveWritesADumpThatReadsBack(format: String) throws {
        let core = try Self.writeCore()
        let output = core + ".\(format)"
        let run = try Self.run(["save", "-d", "1", "--format", format, "--compress", "lzo", "--threads", "2", core, output])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.isEmpty)
        // Not a terminal: whole progress lines, then the summary.
        #expect(run.stderr.contains("vmcore-dump save: 100% "))
        #expect(run.stderr.contains("vmcore-dump save: 5 pages in the dump, 0 filtered, 0 zero, 5 written"))
        let info = try Self.run(["info", "--json", output])
        #expect(info.status == 0, "\(info.stderr)")
        #expect(info.stdout.contains("\"release\":\"6.1.0-56-amd64\""))
    }

    @Test func flattenedStreamReassemblesToTheKdumpFile() throws {
        let core = try Self.writeCore()
        let flat = try Self.run(["save", "--quiet", "--format", "flat", "-d", "0", core, core + ".flat"])
        #expect(flat.status == 0, "\(flat.stderr)")
        let file = try Self.run(["reassemble", core + ".flat", core + ".kdump"])
        #expect(file.status == 0, "\(file.stderr)")
        #expect(file.stderr.contains("records"))
        let direct = try Self.run(["save", "--quiet", "-d", "0", core, core + ".direct"])
        #expect(direct.status == 0)
        var reassembled = [UInt8](try Data(contentsOf: URL(fileURLWithPath: core + ".kdump")))
        var written = [UInt8](try Data(contentsOf: URL(fileURLWithPath: core + ".direct")))
        #expect(reassembled.count == written.count)
        // Equal but for the header's timestamp (offset 408, 16 bytes).
        if reassembled.count > 424 && written.count > 424 {
            reassembled.replaceSubrange(408..<424, with: repeatElement(0, count: 16))
            written.replaceSubrange(408..<424, with: repeatElement(0, count: 16))
        }
        #expect(reassembled == written)
        let truncated = core + ".cut"
        try Data([UInt8](try Data(contentsOf: URL(fileURLWithPath: core + ".flat"))).prefix(5000)).write(to: URL(fileURLWithPath: truncated))
        let cut = try Self.run(["reassemble", truncated, core + ".cut.kdump"])
        #expect(cut.status == 1)
        #expect(cut.stderr.contains("holds what arrived"))
    }

    @Test func saveRefusesWhatCannotWork() throws {
        let core = try Self.writeCore()
        let level = try Self.run(["save", "-d", "32", core, core + ".out"])
        #expect(level.status == 64)
        #expect(level.stderr.contains("dump level must be 0...31"))
        let elfToStdout = try Self.run(["save", "--format", "elf", core, "-"])
        #expect(elfToStdout.status == 64)
        // Level 31 needs the page classes, which need VMCOREINFO this core does not carry.
        let classes = try Self.run(["save", "-d", "31", core, core + ".out"])
        #expect(classes.status == 1)
        #expect(classes.stderr.contains("VMCOREINFO"))
        let missing = try Self.run(["save", "/nonexistent/vmcore", core + ".out"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("/nonexistent/vmcore"))
    }

    @Test func dmesgNamesWhatIsMissing() throws {
        let run = try Self.run(["dmesg", try Self.writeCore()])
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("vmcore-dump dmesg: "))
        #expect(run.stdout.isEmpty)
    }

    @Test func helpListsTheSubcommands() throws {
        let run = try Self.run(["--help"])
        #expect(run.status == 0)
        for name in ["info", "save", "dmesg", "reassemble"] { #expect(run.stdout.contains("  \(name) ")) }
        let info = try Self.run(["info", "--help"])
        #expect(info.stdout.contains("USAGE: vmcore-dump info [--json] [<file>]"))
        #expect(info.stdout.contains("(default: /proc/vmcore)"))
    }
}
