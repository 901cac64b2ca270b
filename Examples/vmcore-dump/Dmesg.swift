import ArgumentParser
import CrashDump
import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `vmcore-dump dmesg [INPUT]`: the crashed kernel's log, printed exactly as
/// kexec-tools' `vmcore-dmesg` prints it.
struct DmesgCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dmesg",
        abstract: "Print the crashed kernel's log buffer, as vmcore-dmesg does.",
        discussion: """
            The log is found from VMCOREINFO alone (the 5.10+ lockless ring buffer, the 3.5-5.9 \
            record buffer or the older character ring), so any kernel version works. Records that \
            cannot be read are skipped with a warning on standard error; the exit status is 1 \
            when part of the log is missing.
            """)

    @Argument(help: "The dump: /proc/vmcore, an ELF or kdump-compressed file, or a flattened stream.")
    var input = "/proc/vmcore"

    func run() throws {
        let log: KernelLog
        do {
            log = try Vmcore.open(path: FilePath(input)).kernelLog()
        } catch {
            writeStandardError("vmcore-dump dmesg: \(input): \(error)\n")
            throw ExitCode.failure
        }
        guard Self.writeStandardOutput(log.dmesgBytes) else {
            writeStandardError("vmcore-dump dmesg: cannot write the log to standard output: \(String(cString: strerror(errno)))\n")
            throw ExitCode.failure
        }
        for issue in log.issues { writeStandardError("vmcore-dump dmesg: warning: \(issue)\n") }
        if !log.isComplete {
            writeStandardError("vmcore-dump dmesg: part of the log could not be read\n")
            throw ExitCode.failure
        }
    }

    /// Writes all of `bytes` to standard output, retrying short writes and EINTR.
    /// The corresponding C function is `write`.
    static func writeStandardOutput(_ bytes: [UInt8]) -> Bool {
        var written = 0
        while written < bytes.count {
            // The slice's buffer lives for the duration of the call.
            let result = bytes[written...].withUnsafeBytes { buffer in write(1, buffer.baseAddress, buffer.count) }
            if result < 0 {
                if errno == EINTR { continue }
                return false
            }
            written += result
        }
        return true
    }
}
