public import KexecCore

/// What to change in the running system's tree for the kernel kexec boots.
public struct KexecDeviceTreeOptions: Hashable, Sendable {
    /// The new kernel's command line, written to `/chosen/bootargs`.
    public var commandLine: String
    /// Where the initrd is loaded: written to `/chosen` `linux,initrd-start` and
    /// `linux,initrd-end` (8 bytes each, as kexec-tools writes them) and reserved.
    public var initrd: PhysicalRange?
    /// Keep the running kernel's `linux,initrd-start`/`-end` and reserve that range
    /// (kexec `--reuseinitrd`) instead of dropping them. Ignored when ``initrd`` is set.
    public var reusesInitrd: Bool
    /// The boot CPU's physical id for the header's `boot_cpuid_phys`. `nil` keeps
    /// the source tree's value; kexec-tools writes 0 and its purgatory stores the
    /// CPU it runs on at entry.
    public var bootCPUPhysicalID: UInt32?
    /// For a kdump capture kernel: the usable memory and extra reservations.
    public var crash: KexecCrashMemory?
    /// More ranges for the reservation map (the backup region, the elfcorehdr).
    public var additionalReservations: [PhysicalRange]
    /// Keep the source tree's reservation map entries (a blob from firmware may
    /// list regions nothing else names). A `/proc/device-tree` tree has none.
    public var keepsSourceReservations: Bool
    /// Add the empty `/chosen/linux,booted-from-kexec` kexec-tools adds (ppc64 fdt.c).
    public var marksBootedFromKexec: Bool
    /// Zero bytes at the end of the blob, counted in `totalsize`.
    public var freeSpace: Int

    /// Options for a new command line and optional initrd; the rest as kexec-tools does.
    public init(commandLine: String, initrd: PhysicalRange? = nil, reusesInitrd: Bool = false,
                bootCPUPhysicalID: UInt32? = nil, crash: KexecCrashMemory? = nil,
                additionalReservations: [PhysicalRange] = [], keepsSourceReservations: Bool = true,
                marksBootedFromKexec: Bool = true, freeSpace: Int = 0) {
        self.commandLine = commandLine
        self.initrd = initrd
        self.reusesInitrd = reusesInitrd
        self.bootCPUPhysicalID = bootCPUPhysicalID
        self.crash = crash
        self.additionalReservations = additionalReservations
        self.keepsSourceReservations = keepsSourceReservations
        self.marksBootedFromKexec = marksBootedFromKexec
        self.freeSpace = freeSpace
    }
}
