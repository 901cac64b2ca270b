public import KexecCore

/// The `NT_PRPSINFO` note ("CORE", type 3): `struct elf_prpsinfo` of
/// include/uapi/linux/elfcore.h. Process core dumps and some dump producers
/// write it; the kernel's crash notes do not.
///
/// Layout: four chars (`pr_state`, `pr_sname`, `pr_zomb`, `pr_nice`), `long
/// pr_flag`, `__kernel_uid_t pr_uid, pr_gid` (16-bit on i386, arch/x86/include/
/// uapi/asm/posix_types_32.h; 32-bit elsewhere), four `pid_t`, `char pr_fname[16]`,
/// `char pr_psargs[80]`, padded to a multiple of the word size: 136 bytes on
/// x86_64 and ppc64, 124 on i386, 128 on ppc32.
public struct PrPsInfo: Hashable, Sendable {
    /// `pr_state`: the numeric process state.
    public var state: Int8 = 0
    /// `pr_sname`: the state as a letter ("R", "S", "D", ...).
    public var stateName: UInt8 = 0
    /// `pr_zomb`.
    public var zombie: Int8 = 0
    /// `pr_nice`.
    public var nice: Int8 = 0
    /// `pr_flag`: the task's flags.
    public var flags: UInt64 = 0
    /// `pr_uid` (16 bits on i386).
    public var uid: UInt32 = 0
    /// `pr_gid` (16 bits on i386).
    public var gid: UInt32 = 0
    /// `pr_pid`.
    public var pid: Int32 = 0
    /// `pr_ppid`.
    public var parentPid: Int32 = 0
    /// `pr_pgrp`.
    public var processGroup: Int32 = 0
    /// `pr_sid`.
    public var session: Int32 = 0
    /// `pr_fname`: the executable's name (at most 16 bytes).
    public var fileName: String = ""
    /// `pr_psargs`: the start of the command line (at most 80 bytes).
    public var arguments: String = ""

    /// An all-zero record.
    public init() {}

    /// Where each field lies for one architecture.
    struct Layout {
        let wordSize: Int
        let idSize: Int

        init(_ architecture: KexecArchitecture) {
            wordSize = architecture.is64Bit ? 8 : 4
            idSize = architecture == .i386 ? 2 : 4
        }

        var flagOffset: Int { wordSize }
        var uidOffset: Int { flagOffset + wordSize }
        var gidOffset: Int { uidOffset + idSize }
        var pidOffset: Int { (gidOffset + idSize + 3) & ~3 }
        var fileNameOffset: Int { pidOffset + 16 }
        var argumentsOffset: Int { fileNameOffset + 16 }
        var size: Int { (argumentsOffset + 80 + wordSize - 1) / wordSize * wordSize }
    }

    /// `sizeof(struct elf_prpsinfo)` for `architecture`.
    public static func size(for architecture: KexecArchitecture) -> Int { Layout(architecture).size }

    /// Decodes a `NT_PRPSINFO` descriptor of `architecture` in `byteOrder`.
    /// - Throws: ``ElfNoteError/descriptorSize(note:expected:actual:)``.
    public init(parsing descriptor: [UInt8], architecture: KexecArchitecture, byteOrder: ByteOrder) throws(ElfNoteError) {
        let layout = Layout(architecture)
        guard descriptor.count == layout.size else {
            throw .descriptorSize(note: "NT_PRPSINFO (\(architecture))", expected: layout.size, actual: descriptor.count)
        }
        let fields = DescriptorFields(descriptor, byteOrder: byteOrder, wordSize: layout.wordSize)
        state = Int8(bitPattern: fields.uint8(at: 0))
        stateName = fields.uint8(at: 1)
        zombie = Int8(bitPattern: fields.uint8(at: 2))
        nice = Int8(bitPattern: fields.uint8(at: 3))
        flags = fields.word(at: layout.flagOffset)
        if layout.idSize == 2 {
            uid = UInt32(fields.uint16(at: layout.uidOffset))
            gid = UInt32(fields.uint16(at: layout.gidOffset))
        } else {
            uid = fields.uint32(at: layout.uidOffset)
            gid = fields.uint32(at: layout.gidOffset)
        }
        pid = fields.int32(at: layout.pidOffset)
        parentPid = fields.int32(at: layout.pidOffset + 4)
        processGroup = fields.int32(at: layout.pidOffset + 8)
        session = fields.int32(at: layout.pidOffset + 12)
        fileName = fields.string(at: layout.fileNameOffset, count: 16)
        arguments = fields.string(at: layout.argumentsOffset, count: 80)
    }

    /// The descriptor bytes for `architecture` in `byteOrder`. Names longer than
    /// their arrays are cut; uid and gid are cut to 16 bits on i386.
    public func encoded(architecture: KexecArchitecture, byteOrder: ByteOrder) -> [UInt8] {
        let layout = Layout(architecture)
        var writer = DescriptorWriter(byteOrder: byteOrder, wordSize: layout.wordSize)
        writer.uint8(UInt8(bitPattern: state))
        writer.uint8(stateName)
        writer.uint8(UInt8(bitPattern: zombie))
        writer.uint8(UInt8(bitPattern: nice))
        writer.pad(to: layout.flagOffset)
        writer.word(flags)
        if layout.idSize == 2 {
            writer.uint16(UInt16(truncatingIfNeeded: uid))
            writer.uint16(UInt16(truncatingIfNeeded: gid))
        } else {
            writer.uint32(uid)
            writer.uint32(gid)
        }
        writer.pad(to: layout.pidOffset)
        for value in [pid, parentPid, processGroup, session] { writer.int32(value) }
        writer.string(fileName, count: 16)
        writer.string(arguments, count: 80)
        writer.pad(to: layout.size)
        return writer.bytes
    }

    /// This record as a "CORE" NT_PRPSINFO note.
    public func note(architecture: KexecArchitecture, byteOrder: ByteOrder) -> ElfNote {
        ElfNote(name: ElfNote.Name.core, type: ElfNote.NoteType.prpsinfo,
                descriptor: encoded(architecture: architecture, byteOrder: byteOrder))
    }
}
