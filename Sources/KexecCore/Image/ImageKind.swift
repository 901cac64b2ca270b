/// Which kexec image slot a load goes to.
public enum ImageKind: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// The image `reboot(LINUX_REBOOT_CMD_KEXEC)` boots (`kexec -l`).
    case normal
    /// The capture kernel the kernel boots on panic (`kexec -p`), loaded in place
    /// inside the crash region.
    case crash

    public var description: String { rawValue }
}
