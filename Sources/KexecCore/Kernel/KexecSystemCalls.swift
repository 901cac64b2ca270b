public import SystemPackage

/// The seam between the suite and the kernel: the raw kexec system calls.
///
/// Everything that reaches the kernel passes through one value of this protocol:
/// ``LinuxKexecSystemCalls`` makes the real calls, ``RecordingKexecSystemCalls``
/// records them for tests (never touching the kernel). Each method returns `nil`
/// on success or the errno the kernel returned.
public protocol KexecSystemCalls: Sendable {
    /// `kexec_load(entry, nr_segments, segments, flags)`. `segmentTable` holds
    /// `segmentCount` entries in ``KexecSegmentLayout/host`` layout whose `buf`
    /// pointers stay valid for the duration of the call.
    ///
    /// The corresponding C function is `syscall(SYS_kexec_load, ...)`.
    func kexecLoad(entry: UInt64, segmentCount: Int, segmentTable: UnsafeRawBufferPointer, flags: UInt64) -> Errno?

    /// `kexec_file_load(kernel_fd, initrd_fd, cmdline_len, cmdline, flags)`.
    /// `commandLine` includes its terminating NUL, or is empty (length 0, NULL).
    ///
    /// The corresponding C function is `syscall(SYS_kexec_file_load, ...)`.
    func kexecFileLoad(kernelFD: Int32, initrdFD: Int32, commandLine: [UInt8], flags: UInt64) -> Errno?

    /// `reboot(magic1, magic2, cmd, NULL)`.
    ///
    /// The corresponding C function is `syscall(SYS_reboot, ...)`.
    func reboot(magic1: UInt32, magic2: UInt32, command: UInt32) -> Errno?

    /// `sync()`: flush file systems before a kexec reboot.
    func sync()
}
