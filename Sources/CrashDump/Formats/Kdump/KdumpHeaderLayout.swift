public import KexecCore

/// How the crashed machine's C compiler laid out the kdump-compressed headers:
/// `disk_dump_header` and `kdump_sub_header` use `long`, `off_t` and
/// `struct timeval`, so their offsets depend on the word size and on whether
/// 64-bit members are 8-byte aligned; every integer is in the machine's byte order.
///
/// Offsets (makedumpfile diskdump_mod.h; libkdumpfile diskdump.c spells out all three):
///
/// | field | lp64 | ilp32 (both) |
/// |---|---|---|
/// | timestamp | 408 (2 x 8) | 404 (2 x 4) |
/// | status | 424 | 412 |
/// | block_size | 428 | 416 |
/// | nr_cpus | 460 | 448 |
/// | header size | 464 | 452 |
///
/// `kdump_sub_header` is 104 bytes on LP64, 80 on i386 (64-bit members 4-byte
/// aligned) and 96 on 32-bit ABIs that align them to 8 (PowerPC, ARM).
public struct KdumpHeaderLayout: Hashable, Sendable, CustomStringConvertible {
    /// The C data model.
    public enum Model: String, Hashable, Sendable, CaseIterable {
        /// 64-bit `long` and pointers (x86_64, ppc64, aarch64, s390x).
        case lp64
        /// 32-bit `long`, 64-bit members aligned to 4 (i386).
        case ilp32Packed
        /// 32-bit `long`, 64-bit members aligned to 8 (ppc32, arm).
        case ilp32Aligned
    }

    /// The data model.
    public var model: Model
    /// The byte order of every integer.
    public var byteOrder: ByteOrder

    /// A layout for `model` in `byteOrder`.
    public init(model: Model, byteOrder: ByteOrder) {
        self.model = model
        self.byteOrder = byteOrder
    }

    /// The layout makedumpfile running on `architecture` writes.
    public init(architecture: KexecArchitecture) {
        switch architecture {
        case .x86_64, .ppc64, .ppc64le: model = .lp64
        case .i386: model = .ilp32Packed
        case .ppc: model = .ilp32Aligned
        }
        byteOrder = architecture.byteOrder
    }

    /// The data model of a machine named by `utsname.machine`, or `nil` when the
    /// name is not known.
    public static func model(forMachine machine: String) -> Model? {
        switch machine {
        case "x86_64", "ppc64", "ppc64le", "aarch64", "arm64", "s390x", "ia64", "mips64", "riscv64",
             "loongarch64", "sparc64":
            .lp64
        case "i386", "i486", "i586", "i686":
            .ilp32Packed
        case "ppc", "mips", "riscv32", "s390":
            .ilp32Aligned
        default:
            machine.hasPrefix("arm") ? .ilp32Aligned : nil
        }
    }

    /// Whether `long` is 64-bit.
    public var is64Bit: Bool { model == .lp64 }
    /// `sizeof(struct disk_dump_header)`: 464 or 452.
    public var headerSize: Int { is64Bit ? 464 : 452 }
    /// `sizeof(struct kdump_sub_header)`: 104, 80 or 96.
    public var subHeaderSize: Int {
        switch model {
        case .lp64: 104
        case .ilp32Packed: 80
        case .ilp32Aligned: 96
        }
    }

    /// The byte offset of `timestamp` in `disk_dump_header` (after the 390-byte
    /// utsname at 12, aligned to the word size).
    var timestampOffset: Int { is64Bit ? 408 : 404 }
    /// The byte offset of `status`; the 32-bit fields after it follow at 4-byte steps.
    var statusOffset: Int { is64Bit ? 424 : 412 }

    /// The model and byte order, e.g. "lp64 little-endian".
    public var description: String { "\(model.rawValue) \(byteOrder.rawValue)-endian" }
}
