/// What a range of physical memory is, as `/proc/iomem` or `/sys/firmware/memmap` names it.
public enum MemoryType: Hashable, Sendable, CustomStringConvertible {
    /// "System RAM": usable by a loaded kernel.
    case systemRAM
    /// "System RAM (kmem)": device memory onlined by dax/kmem; kexec-tools does not
    /// treat it as boot RAM and neither does this suite.
    case systemRAMKmem
    /// "reserved" / "Reserved" (E820 type 2).
    case reserved
    /// "ACPI Tables" (E820 type 3).
    case acpiTables
    /// "ACPI Non-volatile Storage" (E820 type 4).
    case acpiNVS
    /// "Unusable memory" (E820 type 5).
    case unusable
    /// "Persistent Memory (legacy)" (E820 type 12, PRAM).
    case persistentMemoryLegacy
    /// "Persistent Memory" (E820 type 7).
    case persistentMemory
    /// "Soft Reserved" (EFI specific-purpose memory).
    case softReserved
    /// "Crash kernel": the region reserved by `crashkernel=`.
    case crashKernel
    /// "Kernel code", "Kernel rodata", "Kernel data", "Kernel bss": the running kernel.
    case kernelImage(String)
    /// Any other resource name (devices, "PCI Bus 0000:00", "Video ROM", ...).
    case other(String)

    /// Classifies a resource name exactly as the kernel prints it.
    public init(name: String) {
        switch name {
        case "System RAM": self = .systemRAM
        case "System RAM (kmem)": self = .systemRAMKmem
        case "reserved", "Reserved": self = .reserved
        case "ACPI Tables": self = .acpiTables
        case "ACPI Non-volatile Storage": self = .acpiNVS
        case "Unusable memory": self = .unusable
        case "Persistent Memory (legacy)": self = .persistentMemoryLegacy
        case "Persistent Memory": self = .persistentMemory
        case "Soft Reserved": self = .softReserved
        case "Crash kernel": self = .crashKernel
        case "Kernel code", "Kernel rodata", "Kernel data", "Kernel bss": self = .kernelImage(name)
        default: self = .other(name)
        }
    }

    /// The E820 type number a zero page uses for this memory, or `nil` for
    /// resources that are not firmware memory types.
    public var e820Type: UInt32? {
        switch self {
        case .systemRAM: 1
        case .reserved: 2
        case .acpiTables: 3
        case .acpiNVS: 4
        case .unusable: 5
        case .persistentMemory: 7
        case .persistentMemoryLegacy: 12
        case .softReserved: 0xefff_ffff
        default: nil
        }
    }

    /// When two firmware ranges claim the same bytes, the type that wins: the
    /// kernel's e820 sanitizer lets the less usable type prevail.
    var overlapPriority: Int {
        switch self {
        case .systemRAM: 0
        case .systemRAMKmem: 1
        case .acpiTables: 2
        case .persistentMemory, .persistentMemoryLegacy, .softReserved: 3
        case .acpiNVS: 4
        case .unusable: 5
        default: 6
        }
    }

    public var description: String {
        switch self {
        case .systemRAM: "System RAM"
        case .systemRAMKmem: "System RAM (kmem)"
        case .reserved: "Reserved"
        case .acpiTables: "ACPI Tables"
        case .acpiNVS: "ACPI Non-volatile Storage"
        case .unusable: "Unusable memory"
        case .persistentMemoryLegacy: "Persistent Memory (legacy)"
        case .persistentMemory: "Persistent Memory"
        case .softReserved: "Soft Reserved"
        case .crashKernel: "Crash kernel"
        case .kernelImage(let name), .other(let name): name
        }
    }
}
