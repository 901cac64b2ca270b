/// The low flag bits of `kexec_load(2)` (include/uapi/linux/kexec.h). The
/// architecture goes in the high 16 bits; see ``KexecArchitecture/kexecArchFlag``.
public struct KexecLoadFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// KEXEC_ON_CRASH: load the crash (panic) image.
    public static let onCrash = KexecLoadFlags(rawValue: 0x1)
    /// KEXEC_PRESERVE_CONTEXT: keep the current kernel's state (CONFIG_KEXEC_JUMP).
    public static let preserveContext = KexecLoadFlags(rawValue: 0x2)
    /// KEXEC_UPDATE_ELFCOREHDR: replace only the elfcorehdr of a loaded crash image.
    public static let updateElfcorehdr = KexecLoadFlags(rawValue: 0x4)
    /// KEXEC_CRASH_HOTPLUG_SUPPORT: the image copes with CPU/memory hotplug updates.
    public static let crashHotplugSupport = KexecLoadFlags(rawValue: 0x8)

    /// KEXEC_ARCH_MASK: the bits that hold the architecture.
    public static let architectureMask: UInt64 = 0xffff_0000

    /// The flags for `kind`.
    public init(kind: ImageKind) { self = kind == .crash ? .onCrash : [] }

    /// The full flags word passed to the kernel: these bits plus the architecture
    /// (`nil` passes KEXEC_ARCH_DEFAULT, 0).
    public func rawValue(architecture: KexecArchitecture?) -> UInt64 {
        rawValue | (architecture?.kexecArchFlag ?? 0)
    }
}

/// The flags of `kexec_file_load(2)`.
public struct KexecFileLoadFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// KEXEC_FILE_UNLOAD.
    public static let unload = KexecFileLoadFlags(rawValue: 0x1)
    /// KEXEC_FILE_ON_CRASH.
    public static let onCrash = KexecFileLoadFlags(rawValue: 0x2)
    /// KEXEC_FILE_NO_INITRAMFS: no initrd file descriptor is passed.
    public static let noInitramfs = KexecFileLoadFlags(rawValue: 0x4)
    /// KEXEC_FILE_DEBUG: the kernel logs what it loads (6.9+).
    public static let debug = KexecFileLoadFlags(rawValue: 0x8)

    /// The flags for `kind`.
    public init(kind: ImageKind) { self = kind == .crash ? .onCrash : [] }
}

/// The `reboot(2)` magic numbers and the command that boots the loaded kernel.
public enum RebootCommand {
    /// LINUX_REBOOT_MAGIC1.
    public static let magic1: UInt32 = 0xfee1_dead
    /// LINUX_REBOOT_MAGIC2.
    public static let magic2: UInt32 = 0x2812_1969
    /// LINUX_REBOOT_CMD_KEXEC ("KEXE").
    public static let kexec: UInt32 = 0x4558_4543
}
