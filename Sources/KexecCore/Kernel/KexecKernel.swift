public import SystemPackage

/// A request for `kexec_load(2)`: the entry point and the segments.
///
/// Only the planner (SegmentPlanner) makes these, after proving the plan against
/// the kernel's rules, so an unchecked plan cannot reach the system call. Its
/// initializer is therefore `package`, not `public`.
public struct KexecLoadRequest: Hashable, Sendable {
    /// Where the new kernel (or purgatory) starts.
    public let entry: PhysicalAddress
    /// The segments, in the order they are passed.
    public let segments: [KexecSegment]
    /// Normal or crash.
    public let kind: ImageKind
    /// The architecture of the image (KEXEC_ARCH_*), or `nil` for KEXEC_ARCH_DEFAULT.
    public let architecture: KexecArchitecture?
    /// Extra flags (preserve context, hotplug support).
    public let extraFlags: KexecLoadFlags

    package init(entry: PhysicalAddress, segments: [KexecSegment], kind: ImageKind,
                 architecture: KexecArchitecture?, extraFlags: KexecLoadFlags = []) {
        self.entry = entry
        self.segments = segments
        self.kind = kind
        self.architecture = architecture
        self.extraFlags = extraFlags
    }

    /// The flags word passed to the kernel.
    public var flags: UInt64 {
        KexecLoadFlags(kind: kind).union(extraFlags).rawValue(architecture: architecture)
    }
}

/// The kexec operations of the running kernel, through a ``KexecSystemCalls`` seam.
public struct KexecKernel: Sendable {
    /// Where the calls go.
    public let systemCalls: any KexecSystemCalls

    /// - Parameter systemCalls: ``LinuxKexecSystemCalls`` for the real kernel,
    ///   ``RecordingKexecSystemCalls`` in tests.
    public init(systemCalls: any KexecSystemCalls = LinuxKexecSystemCalls()) {
        self.systemCalls = systemCalls
    }

    /// Loads an image with `kexec_load(2)`.
    /// - Throws: ``KexecError`` with the kernel's errno and advice, or
    ///   ``KexecSegmentLayoutError`` if a segment cannot be described to this kernel.
    ///
    /// The corresponding system call is `kexec_load`.
    public func load(_ request: KexecLoadRequest) throws {
        let errno = try UnsafeAccess.withSegmentTable(request.segments) { table in
            systemCalls.kexecLoad(entry: request.entry.rawValue, segmentCount: request.segments.count,
                                  segmentTable: table, flags: request.flags)
        }
        if let errno { throw KexecError(operation: .kexecLoad, kind: request.kind, errno: errno) }
    }

    /// Loads a kernel with `kexec_file_load(2)`: the kernel reads and places the
    /// image itself (and verifies its signature where required).
    ///
    /// - Parameters:
    ///   - kernel: an open, readable kernel image.
    ///   - initrd: an open initrd, or `nil` (KEXEC_FILE_NO_INITRAMFS).
    ///   - commandLine: the new kernel's command line; passed with its NUL.
    ///   - kind: normal or crash.
    /// - Throws: ``KexecError``.
    ///
    /// The corresponding system call is `kexec_file_load`.
    public func loadFile(kernel: FileDescriptor, initrd: FileDescriptor?, commandLine: String, kind: ImageKind) throws(KexecError) {
        var flags = KexecFileLoadFlags(kind: kind)
        if initrd == nil { flags.insert(.noInitramfs) }
        let bytes = Array(commandLine.utf8) + [0]
        if let errno = systemCalls.kexecFileLoad(kernelFD: kernel.rawValue, initrdFD: initrd?.rawValue ?? -1,
                                                 commandLine: bytes, flags: flags.rawValue) {
            throw KexecError(operation: .kexecFileLoad, kind: kind, errno: errno)
        }
    }

    /// How to unload: through the system call the image was loaded with.
    public enum UnloadMethod: Sendable {
        /// `kexec_load(0, 0, NULL, flags)`.
        case kexecLoad
        /// `kexec_file_load(-1, -1, 0, NULL, KEXEC_FILE_UNLOAD)`.
        case kexecFileLoad
    }

    /// Unloads the image of `kind`. Either system call unloads an image loaded by
    /// the other on current kernels.
    /// - Throws: ``KexecError``.
    public func unload(kind: ImageKind, using method: UnloadMethod = .kexecLoad) throws(KexecError) {
        let errno: Errno?
        switch method {
        case .kexecLoad:
            errno = systemCalls.kexecLoad(entry: 0, segmentCount: 0, segmentTable: UnsafeRawBufferPointer(start: nil, count: 0),
                                          flags: KexecLoadFlags(kind: kind).rawValue)
        case .kexecFileLoad:
            errno = systemCalls.kexecFileLoad(kernelFD: -1, initrdFD: -1, commandLine: [],
                                              flags: KexecFileLoadFlags(kind: kind).union(.unload).rawValue)
        }
        if let errno { throw KexecError(operation: .unload, kind: kind, errno: errno) }
    }

    /// Boots the loaded normal image: `sync()` (unless `sync` is false), then
    /// `reboot(LINUX_REBOOT_CMD_KEXEC)`. On success this does not return.
    /// - Throws: ``KexecError`` (EINVAL when nothing is loaded).
    public func execute(sync: Bool = true) throws(KexecError) {
        if sync { systemCalls.sync() }
        if let errno = systemCalls.reboot(magic1: RebootCommand.magic1, magic2: RebootCommand.magic2, command: RebootCommand.kexec) {
            throw KexecError(operation: .reboot, kind: .normal, errno: errno)
        }
    }
}
