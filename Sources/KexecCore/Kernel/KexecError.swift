public import SystemPackage

/// The kernel refused a kexec operation: which operation, which image, the errno,
/// and what to do about it.
public struct KexecError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The operation that failed.
    public enum Operation: String, Hashable, Sendable {
        case kexecLoad = "kexec_load"
        case kexecFileLoad = "kexec_file_load"
        case unload = "unload"
        case reboot = "reboot(LINUX_REBOOT_CMD_KEXEC)"
    }

    /// What the errno means for this operation.
    public enum Reason: Hashable, Sendable {
        /// EPERM: no CAP_SYS_BOOT, kexec disabled by sysctl, lockdown, or an LSM.
        case notPermitted
        /// EBUSY: another load is in progress or the image is in use.
        case busy
        /// EINVAL: the kernel rejected the arguments (or, for reboot, nothing is loaded).
        case invalidArgument
        /// EADDRNOTAVAIL: a destination the kernel will not accept.
        case addressNotAvailable
        /// ENOMEM: the kernel could not allocate pages for the image.
        case outOfMemory
        /// ENOEXEC: kexec_file_load did not understand the image.
        case imageNotRecognized
        /// EKEYREJECTED, ENOKEY, EBADMSG: signature verification failed.
        case signatureRejected
        /// ENOSYS / EOPNOTSUPP: the kernel does not have this system call.
        case notSupported
        /// EFAULT: the kernel could not read a buffer (a bug in the caller).
        case badAddress
        /// EBADF: a file descriptor passed to kexec_file_load is not readable.
        case badFileDescriptor
        /// Anything else.
        case other
    }

    public let operation: Operation
    /// Which image slot the operation was for.
    public let kind: ImageKind
    /// The errno the kernel returned.
    public let errno: Errno

    public init(operation: Operation, kind: ImageKind, errno: Errno) {
        self.operation = operation
        self.kind = kind
        self.errno = errno
    }

    /// The class of failure.
    public var reason: Reason {
        switch errno {
        case .notPermitted: .notPermitted
        case .resourceBusy: .busy
        case .invalidArgument: .invalidArgument
        case .addressNotAvailable: .addressNotAvailable
        case .noMemory: .outOfMemory
        case .execFormatError: .imageNotRecognized
        case .noFunction, .notSupported, .notSupportedOnSocket: .notSupported
        case .badAddress: .badAddress
        case .badFileDescriptor: .badFileDescriptor
        default:
            // EKEYREJECTED 129, ENOKEY 126, EBADMSG 74 (Linux numbers).
            [129, 126, 74].contains(errno.rawValue) ? .signatureRejected : .other
        }
    }

    /// Whether kexec-tools' `-a` would retry with `kexec_load` after this
    /// `kexec_file_load` failure (ENOSYS, EINVAL, ENOEXEC, EOPNOTSUPP); signature
    /// failures are final.
    public var allowsFallbackToKexecLoad: Bool {
        operation == .kexecFileLoad && [.notSupported, .invalidArgument, .imageNotRecognized].contains(reason)
    }

    /// What went wrong and what to try, in one or two sentences.
    public var advice: String {
        let crash = kind == .crash
        switch (reason, operation) {
        case (.notPermitted, .kexecFileLoad):
            return "not permitted: needs root (CAP_SYS_BOOT); kexec may be disabled (sysctl kernel.kexec_load_disabled=1), or the kernel's signature policy (lockdown, IMA) refused the image"
        case (.notPermitted, _):
            return "not permitted: needs root (CAP_SYS_BOOT); kexec may be disabled (sysctl kernel.kexec_load_disabled=1), or the kernel is locked down (Secure Boot forbids kexec_load: use -s with a signed kernel)"
        case (.busy, _):
            return "the kernel is busy: another kexec load or unload is in progress" + (crash ? ", or the crash image is in use" : "") + "; retry"
        case (.invalidArgument, .reboot):
            return "no kernel is loaded: load one first (kexec-loader -l KERNEL)"
        case (.invalidArgument, .kexecFileLoad):
            return "the kernel rejected the arguments: the image may be of an architecture or format this kernel cannot boot with kexec_file_load (on x86_64 only 64-bit bzImages), the command line may be too long, or the flags invalid"
        case (.invalidArgument, _):
            return "the kernel rejected the segments: more than 16, overlapping destinations, bufsz > memsz, a segment larger than half of RAM, or an architecture this kernel does not accept"
        case (.addressNotAvailable, _):
            return crash
                ? "a segment lies outside the crash region (crashkernel=), is not page-aligned, or the entry point is outside the region"
                : "a segment destination is not page-aligned, wraps, or lies above the kernel's destination limit"
        case (.outOfMemory, _):
            return crash
                ? "the crash region is too small for this kernel and initrd: boot with a larger crashkernel= reservation or use a smaller initrd"
                : "the kernel could not allocate memory for the image: free memory or use a smaller initrd"
        case (.imageNotRecognized, _):
            return "the kernel did not recognise the image: kexec_file_load takes only formats the running kernel supports (x86_64: 64-bit bzImage); try the kexec_load path (-c)"
        case (.signatureRejected, _):
            return "the kernel rejected the image's signature: this kernel requires signed images (lockdown or CONFIG_KEXEC_SIG_FORCE); use a kernel signed with a trusted key"
        case (.notSupported, .kexecFileLoad):
            return "this kernel does not provide kexec_file_load (CONFIG_KEXEC_FILE not set, or not on this architecture); use the kexec_load path (-c)"
        case (.notSupported, _):
            return "this kernel does not provide kexec (CONFIG_KEXEC not set)"
        case (.badAddress, _):
            return "the kernel could not read a buffer passed to it (a bug in this tool: please report it)"
        case (.badFileDescriptor, _):
            return "a kernel or initrd file descriptor is not open for reading"
        case (.other, _):
            return "unexpected error"
        }
    }

    public var description: String {
        "\(operation.rawValue) (\(kind) image) failed: \(errno) (errno \(errno.rawValue)): \(advice)"
    }
}
