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
        let reader = ByteReader(notes, byteOrder: byteOrder)
        var offset = 0
        while offset + 12 <= notes.count {
            guard let nameSize = try? reader.peek(UInt32.self, at: offset, field: "n_namesz"),
                  let descSize = try? reader.peek(UInt32.self, at: offset + 4, field: "n_descsz"),
                  let type = try? reader.peek(UInt32.self, at: offset + 8, field: "n_type") else { return nil }
            let nameEnd = offset + 12 + Int(nameSize)
            let descStart = (offset + 12 + (Int(nameSize) + 3) / 4 * 4)
            let descEnd = descStart + Int(descSize)
            guard nameSize < 1 << 20, descSize < 1 << 28, descEnd <= notes.count else { return nil }
            let name = notes[(offset + 12)..<nameEnd].prefix { $0 != 0 }
            if type == 0, Array(name) == Array("VMCOREINFO".utf8) { return (descStart, Int(descSize)) }
            offset = descStart + (Int(descSize) + 3) / 4 * 4
        }
        return nil
    }
}
