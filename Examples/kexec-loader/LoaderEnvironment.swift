import KexecCore
import SystemPackage

/// Where kexec-loader's system calls and kernel files come from.
///
/// Test seams, read from the environment so the command line stays kexec-tools':
/// - `KEXEC_SUITE_SYSCALL_TRACE=FILE`: record every kexec system call instead of
///   making it, appending one line per call to FILE.
/// - `KEXEC_SUITE_SYSCALL_ERRNO=N`: with the trace, answer every call with errno N.
/// - `KEXEC_SUITE_SYSFS=DIR`: read kexec status from DIR/kernel/ instead of /sys.
/// - `KEXEC_SUITE_PROC_CMDLINE=FILE`: --reuse-cmdline reads FILE, not /proc/cmdline.
/// - `KEXEC_SUITE_FORBID_LIVE=1`: refuse every live system call (EPERM).
struct LoaderEnvironment {
    let tracePath: FilePath?
    let systemCalls: any KexecSystemCalls
    let sysfs: FilePath
    let procCmdline: FilePath

    init() {
        tracePath = Environment.value(of: "KEXEC_SUITE_SYSCALL_TRACE").map { FilePath($0) }
        if tracePath != nil {
            let errno = Environment.value(of: "KEXEC_SUITE_SYSCALL_ERRNO").flatMap { Int32($0) }.map { Errno(rawValue: $0) }
            systemCalls = RecordingKexecSystemCalls { _ in errno }
        } else {
            systemCalls = LinuxKexecSystemCalls()
        }
        sysfs = FilePath(Environment.value(of: "KEXEC_SUITE_SYSFS") ?? "/sys")
        procCmdline = FilePath(Environment.value(of: "KEXEC_SUITE_PROC_CMDLINE") ?? "/proc/cmdline")
    }

    /// Appends the recorded calls to the trace file, if tracing.
    func writeTrace() {
        guard let tracePath, let recorder = systemCalls as? RecordingKexecSystemCalls else { return }
        let text = recorder.calls.map { $0.description + "\n" }.joined()
        guard let fd = try? FileDescriptor.open(tracePath, .writeOnly, options: [.append, .create], permissions: [.ownerReadWrite]) else {
            printError("cannot write the system call trace to \(tracePath)")
            return
        }
        defer { try? fd.close() }
        _ = try? fd.writeAll(text.utf8)
    }
}
