/// One ELF note: a name ("CORE", "VMCOREINFO", "LINUX", "QEMU"), a type that
/// means something only together with the name, and a descriptor of raw bytes.
///
/// Linux writes notes as `struct elf_note` (`Elf32_Nhdr` and `Elf64_Nhdr` are the
/// same three 32-bit words: `n_namesz`, `n_descsz`, `n_type`) followed by the name
/// with its NUL and the descriptor, each padded to 4 bytes. The padding is 4 for
/// ELF64 cores too (the kernel's `append_elf_note` in kernel/vmcore_info.c and
/// fs/proc/vmcore.c), so the layout does not depend on the ELF class: only on the
/// byte order, which every encoder and decoder here is told.
public struct ElfNote: Hashable, Sendable {
    /// The owner's name, without the terminating NUL.
    public var name: String
    /// `n_type`: NT_PRSTATUS 1, NT_PRPSINFO 3, ... for "CORE"; 0 for "VMCOREINFO".
    public var type: UInt32
    /// The descriptor bytes, without padding.
    public var descriptor: [UInt8]

    /// A note named `name` of type `type` carrying `descriptor`.
    public init(name: String, type: UInt32, descriptor: [UInt8]) {
        self.name = name
        self.type = type
        self.descriptor = descriptor
    }

    /// Whether this note is the one `name` / `type` pair.
    public func isNote(name: String, type: UInt32) -> Bool {
        self.name == name && self.type == type
    }
}

extension ElfNote {
    /// The size of a note header (`sizeof(Elf32_Nhdr)` = `sizeof(Elf64_Nhdr)` = 12).
    public static let headerSize = 12
    /// The alignment of names, descriptors and notes in Linux core files.
    public static let alignment = 4

    /// Owner names the kernel and dump producers use.
    public enum Name {
        /// Process and CPU state: NT_PRSTATUS, NT_PRPSINFO, NT_PRFPREG.
        public static let core = "CORE"
        /// Extended register state (NT_X86_XSTATE, NT_PPC_VMX, ...).
        public static let linux = "LINUX"
        /// The crashed kernel's self-description (kernel/vmcore_info.c).
        public static let vmcoreinfo = "VMCOREINFO"
        /// qemu `dump-guest-memory`'s per-CPU state (QEMUCPUState).
        public static let qemu = "QEMU"
    }

    /// Note types (include/uapi/linux/elf.h).
    public enum NoteType {
        /// `NT_PRSTATUS`: `struct elf_prstatus`, one per CPU in a crash dump.
        public static let prstatus: UInt32 = 1
        /// `NT_PRFPREG`: floating-point registers.
        public static let prfpreg: UInt32 = 2
        /// `NT_PRPSINFO`: `struct elf_prpsinfo`.
        public static let prpsinfo: UInt32 = 3
        /// `NT_TASKSTRUCT`.
        public static let taskstruct: UInt32 = 4
        /// `NT_AUXV`.
        public static let auxv: UInt32 = 6
        /// The VMCOREINFO note's type.
        public static let vmcoreinfo: UInt32 = 0
    }
}
