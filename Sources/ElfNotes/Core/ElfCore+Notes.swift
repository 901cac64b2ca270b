import KexecCore

extension ElfCore {
    /// Every "CORE" NT_PRSTATUS note decoded with the core's architecture and byte
    /// order, one per CPU that was online when the kernel crashed, in note order.
    /// - Throws: ``ElfCoreError/unsupportedMachine(_:)`` or ``ElfCoreError/note(_:)``.
    public func cpuStatuses() throws(ElfCoreError) -> [PrStatus] {
        let statusNotes = notes.notes.filter { $0.isNote(name: ElfNote.Name.core, type: ElfNote.NoteType.prstatus) }
        guard !statusNotes.isEmpty else { return [] }
        guard let architecture else { throw .unsupportedMachine(machine) }
        var statuses: [PrStatus] = []
        for note in statusNotes {
            do {
                statuses.append(try PrStatus(note: note, architecture: architecture, byteOrder: byteOrder))
            } catch {
                throw .note(error)
            }
        }
        return statuses
    }

    /// The VMCOREINFO note's contents, or `nil` when the core has none.
    public var vmcoreInfo: VmcoreInfo? {
        notes.notes.first { $0.isNote(name: ElfNote.Name.vmcoreinfo, type: ElfNote.NoteType.vmcoreinfo) }
            .map { VmcoreInfo(descriptor: $0.descriptor) }
    }
}
