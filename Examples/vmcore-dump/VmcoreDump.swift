import ArgumentParser
import CrashDump

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// vmcore-dump: capture and read Linux crash dumps: `save` (filter, compress,
/// write), `dmesg` (the kernel log), `info` (the report) and `reassemble`
/// (flattened stream to file), each a thin layer over the CrashDump library.
@main
struct VmcoreDump: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vmcore-dump",
        abstract: "Capture and read Linux crash dumps.",
        discussion: "FILE defaults to /proc/vmcore, the crashed kernel's memory as the capture kernel exports it.",
        version: "0.3.0",
        subcommands: [Info.self, Save.self, DmesgCommand.self, Reassemble.self])
}

/// `vmcore-dump info [--json] [FILE]`.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the crashed kernel's release, panic, crashed CPU and registers, memory, page classes and log tail.")

    @Flag(help: "Print one JSON object on standard output instead of text.")
    var json = false

    @Argument(help: "The dump: /proc/vmcore, an ELF or kdump-compressed file (qemu, makedumpfile, vmcore-dump save), or a flattened stream.")
    var file = "/proc/vmcore"

    func run() throws {
        let report: VmcoreReport
        do {
            report = try VmcoreReport.read(vmcorePath: file)
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


func writeStandardError(_ message: String) {
    // The string is passed as a NUL-terminated UTF-8 buffer that lives for the call.
    _ = write(2, message, message.utf8.count)
}
