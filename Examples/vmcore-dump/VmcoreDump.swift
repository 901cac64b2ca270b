import ArgumentParser
import CrashDump

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// vmcore-dump: capture and read Linux crash dumps. `info` works; `save`,
/// `dmesg` and `reassemble` are placeholders until the CrashDump library grows
/// their logic (issues 5 and 6).
@main
struct VmcoreDump: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vmcore-dump",
        abstract: "Capture and read Linux crash dumps.",
        discussion: "FILE defaults to /proc/vmcore, the crashed kernel's memory as the capture kernel exports it.",
        version: "0.2.0",
        subcommands: [Info.self, Save.self, Dmesg.self, Reassemble.self])
}

/// `vmcore-dump info [--json] [FILE]`.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the crashed kernel's release, page size, crash time, CPUs and memory ranges.")

    @Flag(help: "Print one JSON object on standard output instead of text.")
    var json = false

    @Argument(help: "The ELF core file: /proc/vmcore, or a dump from qemu or makedumpfile -E.")
    var file = "/proc/vmcore"

    func run() throws {
        let report: VmcoreReport
        do {
            report = try VmcoreReport.read(path: file)
        } catch {
            writeStandardError("vmcore-dump: \(file): \(error)\n")
            throw ExitCode.failure
        }
        if json {
            print(report.json, terminator: "")
            for warning in report.warnings { writeStandardError("vmcore-dump: warning: \(warning)\n") }
        } else {
            print(report.text, terminator: "")
        }
    }
}

/// A subcommand that exists in the interface but not yet in the library.
protocol PlannedSubcommand: ParsableCommand {
    static var name: String { get }
    var arguments: [String] { get }
}

extension PlannedSubcommand {
    func run() throws {
        writeStandardError("vmcore-dump \(Self.name): not implemented yet\n")
        throw ExitCode(2)
    }
}

/// `vmcore-dump save`: filter, compress and write a dump (not implemented yet).
struct Save: PlannedSubcommand {
    static let name = "save"
    static let configuration = CommandConfiguration(
        commandName: name,
        abstract: "Write the dump as ELF, kdump-compressed or flattened (not implemented yet).")
    @Argument(parsing: .captureForPassthrough, help: .hidden)
    var arguments: [String] = []
}

/// `vmcore-dump dmesg`: the crashed kernel's log (not implemented yet).
struct Dmesg: PlannedSubcommand {
    static let name = "dmesg"
    static let configuration = CommandConfiguration(
        commandName: name,
        abstract: "Print the crashed kernel's log buffer (not implemented yet).")
    @Argument(parsing: .captureForPassthrough, help: .hidden)
    var arguments: [String] = []
}

/// `vmcore-dump reassemble`: a flattened dump back into a file (not implemented yet).
struct Reassemble: PlannedSubcommand {
    static let name = "reassemble"
    static let configuration = CommandConfiguration(
        commandName: name,
        abstract: "Turn a flattened dump back into a dump file (not implemented yet).")
    @Argument(parsing: .captureForPassthrough, help: .hidden)
    var arguments: [String] = []
}

func writeStandardError(_ message: String) {
    // The string is passed as a NUL-terminated UTF-8 buffer that lives for the call.
    _ = write(2, message, message.utf8.count)
}
