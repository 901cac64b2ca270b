import ElfNotes
import KexecCore

/// The header blocks of a kdump-compressed file being written: the geometry,
/// `disk_dump_header`, `kdump_sub_header` and the notes, re-encoded whenever the
/// counters or the INCOMPLETE status change.
struct KdumpHeaderState {
    let geometry: KdumpFileGeometry
    var header: KdumpHeader
    let subHeader: KdumpSubHeader
    let notes: [UInt8]

    init(input: DumpInput, layout: KdumpHeaderLayout, maxPFN: UInt64, dumpLevel: DumpLevel,
         status: KdumpStatus) throws(CrashDumpError) {
        geometry = try KdumpFileGeometry(layout: layout, blockSize: input.memory.pageSize, maxMapnr: maxPFN,
                                         noteSize: UInt64(input.notes.count))
        header = geometry.header(utsname: input.utsname, status: status, cpuCount: Int32(clamping: input.cpuCount),
                                 timestampSeconds: WallClock.secondsSinceEpoch)
        let vmcoreinfo = Self.vmcoreinfoDescriptor(in: input.notes, byteOrder: input.byteOrder)
        subHeader = geometry.subHeader(physBase: input.physBase, dumpLevel: Int32(dumpLevel.level),
                                       vmcoreInfo: vmcoreinfo.map { (UInt64($0.offset), UInt64($0.size)) })
        notes = input.notes
    }

    /// Blocks 0 up to the 1st bitmap, with the INCOMPLETE status set or cleared.
    func encode(incomplete: Bool) throws(CrashDumpError) -> [UInt8] {
        var header = header
        if incomplete { header.status.insert(.incomplete) } else { header.status.remove(.incomplete) }
        return try geometry.headerBlocks(header: header, subHeader: subHeader, notes: notes)
    }

    /// Where the VMCOREINFO note's descriptor lies in `notes`, and its size.
    static func vmcoreinfoDescriptor(in notes: [UInt8], byteOrder: ByteOrder) -> (offset: Int, size: Int)? {
        guard let blob = try? ElfNoteBlob(parsing: notes[...], byteOrder: byteOrder),
              let index = blob.notes.firstIndex(where: {
                  $0.isNote(name: ElfNote.Name.vmcoreinfo, type: ElfNote.NoteType.vmcoreinfo)
              }) else { return nil }
        let note = blob.notes[index]
        // n_namesz counts the NUL; the descriptor starts at the next 4-byte boundary.
        let nameBytes = (note.name.utf8.count + 1 + ElfNote.alignment - 1) / ElfNote.alignment * ElfNote.alignment
        return (blob.offsets[index] + ElfNote.headerSize + nameBytes, note.descriptor.count)
    }
}
