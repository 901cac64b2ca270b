public import KexecCore

/// A `struct timeval` of `elf_prstatus`.
public struct ElfTimeValue: Hashable, Sendable {
    /// `tv_sec`.
    public var seconds: Int64
    /// `tv_usec`.
    public var microseconds: Int64

    /// A time value (zero by default).
    public init(seconds: Int64 = 0, microseconds: Int64 = 0) {
        self.seconds = seconds
        self.microseconds = microseconds
    }
}

/// The `NT_PRSTATUS` note ("CORE", type 1) the kernel writes for each CPU when it
/// crashes (`crash_save_cpu` in kernel/crash_core.c): `struct elf_prstatus` of
/// include/uapi/linux/elfcore.h with the CPU's registers in `pr_reg`.
///
/// For a crashed kernel only ``pid`` (the task that ran on the CPU) and
/// ``registers`` are filled; the other fields are kept so a note encodes back byte
/// for byte.
public struct PrStatus: Hashable, Sendable {
    /// `pr_info.si_signo`.
    public var signalNumber: Int32 = 0
    /// `pr_info.si_code`.
    public var signalCode: Int32 = 0
    /// `pr_info.si_errno`.
    public var signalErrno: Int32 = 0
    /// `pr_cursig`.
    public var currentSignal: Int16 = 0
    /// `pr_sigpend`.
    public var pendingSignals: UInt64 = 0
    /// `pr_sighold`.
    public var heldSignals: UInt64 = 0
    /// `pr_pid`: the task running on the CPU (0 for the idle task).
    public var pid: Int32 = 0
    /// `pr_ppid`.
    public var parentPid: Int32 = 0
    /// `pr_pgrp`.
    public var processGroup: Int32 = 0
    /// `pr_sid`.
    public var session: Int32 = 0
    /// `pr_utime`.
    public var userTime = ElfTimeValue()
    /// `pr_stime`.
    public var systemTime = ElfTimeValue()
    /// `pr_cutime`.
    public var childUserTime = ElfTimeValue()
    /// `pr_cstime`.
    public var childSystemTime = ElfTimeValue()
    /// `pr_reg`, typed by architecture.
    public var registers: RegisterSet
    /// `pr_fpvalid`.
    public var fpValid: Int32 = 0

    /// A status with `registers` and `pid`, every other field zero.
    public init(pid: Int32 = 0, registers: RegisterSet) {
        self.pid = pid
        self.registers = registers
    }

    /// Decodes a `NT_PRSTATUS` descriptor of `architecture` in `byteOrder`.
    /// - Throws: ``ElfNoteError/descriptorSize(note:expected:actual:)`` when the
    ///   descriptor is not `sizeof(struct elf_prstatus)` of that architecture.
    public init(parsing descriptor: [UInt8], architecture: KexecArchitecture, byteOrder: ByteOrder) throws(ElfNoteError) {
        let layout = PrStatusLayout(architecture)
        guard descriptor.count == layout.size else {
            throw .descriptorSize(note: "NT_PRSTATUS (\(architecture))", expected: layout.size, actual: descriptor.count)
        }
        // The size was checked above, so every fixed offset below lies inside.
        let fields = DescriptorFields(descriptor, byteOrder: byteOrder, wordSize: layout.wordSize)
        signalNumber = fields.int32(at: 0)
        signalCode = fields.int32(at: 4)
        signalErrno = fields.int32(at: 8)
        currentSignal = Int16(bitPattern: fields.uint16(at: 12))
        pendingSignals = fields.word(at: layout.sigpendOffset)
        heldSignals = fields.word(at: layout.sigholdOffset)
        pid = fields.int32(at: layout.pidOffset)
        parentPid = fields.int32(at: layout.pidOffset + 4)
        processGroup = fields.int32(at: layout.pidOffset + 8)
        session = fields.int32(at: layout.pidOffset + 12)
        let times = (0..<4).map { index in
            let offset = layout.timesOffset + index * 2 * layout.wordSize
            return ElfTimeValue(seconds: fields.signedWord(at: offset), microseconds: fields.signedWord(at: offset + layout.wordSize))
        }
        userTime = times[0]
        systemTime = times[1]
        childUserTime = times[2]
        childSystemTime = times[3]
        let words = (0..<layout.registerCount).map { fields.word(at: layout.registersOffset + $0 * layout.wordSize) }
        switch architecture {
        case .x86_64: registers = .x86_64(X86_64Registers(words: words))
        case .i386: registers = .i386(I386Registers(words: words))
        case .ppc64, .ppc64le: registers = .ppc64(PowerPCRegisters(words: words))
        case .ppc: registers = .ppc32(PowerPCRegisters(words: words))
        }
        fpValid = fields.int32(at: layout.fpvalidOffset)
    }

    /// Decodes `note`, which must be "CORE" / NT_PRSTATUS.
    /// - Throws: ``ElfNoteError``.
    public init(note: ElfNote, architecture: KexecArchitecture, byteOrder: ByteOrder) throws(ElfNoteError) {
        guard note.isNote(name: ElfNote.Name.core, type: ElfNote.NoteType.prstatus) else {
            throw .invalidDescriptorField(note: "\"\(note.name)\" type \(note.type)", field: "n_type", offset: 0,
                                          reason: "not a CORE NT_PRSTATUS note")
        }
        try self.init(parsing: note.descriptor, architecture: architecture, byteOrder: byteOrder)
    }

    /// The descriptor bytes in `byteOrder`, laid out for ``registers``' architecture.
    public func encoded(byteOrder: ByteOrder) -> [UInt8] {
        let layout = PrStatusLayout(registers.architecture)
        var writer = DescriptorWriter(byteOrder: byteOrder, wordSize: layout.wordSize)
        writer.int32(signalNumber)
        writer.int32(signalCode)
        writer.int32(signalErrno)
        writer.uint16(UInt16(bitPattern: currentSignal))
        writer.pad(to: layout.sigpendOffset)
        writer.word(pendingSignals)
        writer.word(heldSignals)
        for value in [pid, parentPid, processGroup, session] { writer.int32(value) }
        for time in [userTime, systemTime, childUserTime, childSystemTime] {
            writer.word(UInt64(bitPattern: time.seconds))
            writer.word(UInt64(bitPattern: time.microseconds))
        }
        for word in registers.words { writer.word(word) }
        writer.int32(fpValid)
        writer.pad(to: layout.size)
        return writer.bytes
    }

    /// This status as a "CORE" NT_PRSTATUS note in `byteOrder`.
    public func note(byteOrder: ByteOrder) -> ElfNote {
        ElfNote(name: ElfNote.Name.core, type: ElfNote.NoteType.prstatus, descriptor: encoded(byteOrder: byteOrder))
    }
}
