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
        #expect(text.stderr.contains("not an ELF core file"))

        var header = Array(try Data(contentsOf: URL(fileURLWithPath: try Self.writeCore())))
        header[16] = 2  // e_type ET_EXEC
        let exec = try Self.run(["info", try Self.writeCore(header)])
        #expect(exec.status == 1)
        #expect(exec.stderr.contains("e_type at byte offset 16 is 2, not ET_CORE (4)"))

        let cut = try Self.run(["info", try Self.writeCore(Array(header.prefix(100)))])
        #expect(cut.status == 1)
        #expect(cut.stderr.contains("at byte offset"))
    }

    @Test(arguments: ["save", "dmesg", "reassemble"])
    func plannedSubcommandsSayNotImplemented(subcommand: String) throws {
        let run = try Self.run([subcommand, "-d", "31", "/proc/vmcore", "out"])
        #expect(run.status == 2)
        #expect(run.stderr == "vmcore-dump \(subcommand): not implemented yet\n")
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
