public import SystemPackage
internal import CKexecSyscalls

/// The real kexec system calls of the running Linux kernel.
///
/// Calling these on a development machine can replace or reboot it: tests use
/// ``RecordingKexecSystemCalls``, and real loads run only inside VMs. As a second
/// guard, every call fails with `EPERM` while the environment variable
/// `KEXEC_SUITE_FORBID_LIVE` is set (test harnesses set it).
public struct LinuxKexecSystemCalls: KexecSystemCalls {
    public init() {}

    /// Whether `KEXEC_SUITE_FORBID_LIVE` forbids live calls in this process.
    public static var liveCallsForbidden: Bool { Environment.value(of: "KEXEC_SUITE_FORBID_LIVE") != nil }

    public func kexecLoad(entry: UInt64, segmentCount: Int, segmentTable: UnsafeRawBufferPointer, flags: UInt64) -> Errno? {
        if Self.liveCallsForbidden { return .notPermitted }
        let rc = ckexec_kexec_load(entry, UInt64(segmentCount), segmentTable.baseAddress, flags)
        return rc == 0 ? nil : Errno(rawValue: rc)
    }

    public func kexecFileLoad(kernelFD: Int32, initrdFD: Int32, commandLine: [UInt8], flags: UInt64) -> Errno? {
        if Self.liveCallsForbidden { return .notPermitted }
        let rc: Int32
        if commandLine.isEmpty {
            rc = ckexec_kexec_file_load(kernelFD, initrdFD, 0, nil, flags)
        } else {
            rc = commandLine.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { chars in
                    ckexec_kexec_file_load(kernelFD, initrdFD, UInt64(chars.count), chars.baseAddress, flags)
                }
            }
        }
        return rc == 0 ? nil : Errno(rawValue: rc)
    }

    public func reboot(magic1: UInt32, magic2: UInt32, command: UInt32) -> Errno? {
        if Self.liveCallsForbidden { return .notPermitted }
        let rc = ckexec_reboot(magic1, magic2, command)
        return rc == 0 ? nil : Errno(rawValue: rc)
    }

    public func sync() {
        if Self.liveCallsForbidden { return }
        ckexec_sync()
    }
}
