import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

/// vmcore-dump: capture and read crash dumps. Its subcommands (save, dmesg, info,
/// reassemble) arrive with the CrashDump library; this version has none yet and
/// says so rather than pretending.
@main
struct VmcoreDump: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vmcore-dump",
        abstract: "Capture and read Linux crash dumps (not implemented yet).",
        discussion: "save, dmesg, info and reassemble are planned; this build implements none of them.",
        version: "0.1.0")

    @Argument(parsing: .captureForPassthrough, help: .hidden)
    var arguments: [String] = []

    func run() throws {
        let message = "vmcore-dump: not implemented yet (no subcommand works in this version)\n"
        _ = message.withCString { write(2, $0, strlen($0)) }
        throw ExitCode(2)
    }
}
