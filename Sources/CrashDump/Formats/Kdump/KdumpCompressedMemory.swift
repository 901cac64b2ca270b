public import ElfNotes
public import KexecCore
public import SystemPackage

/// A kdump-compressed dump (makedumpfile's "KDUMP   " format, or the older
/// "DISKDUMP") read as physical memory: the headers, the notes, both bitmaps,
/// and pages decompressed on demand through their descriptors.
///
/// Opening reads the header blocks and the bitmaps and checks every field
/// against the file (see ``init(source:)``); page descriptors are read in blocks
/// of 4096 (one `pread` each, a few kept decoded), and a read of many pages takes
/// their data in one `pread` per contiguous run of up to 4 MiB. Works over a
/// flattened file (``FlattenedFile``) the same way.
public struct KdumpCompressedMemory: PhysicalMemory {
    /// The file.
    public let source: any DumpByteSource
    /// The C layout and byte order the headers were written in.
    public let layout: KdumpHeaderLayout
    /// Block 0.
    public let header: KdumpHeader
    /// Block 1's sub-header (KDUMP version 1 and later).
    public let subHeader: KdumpSubHeader?
    /// The block size, which is the crashed kernel's page size.
    public let pageSize: Int
    /// One past the highest page frame (max_mapnr, 64-bit from version 6).
    public let maxPFN: UInt64
    /// The dumped frames (the 2nd bitmap's runs).
    public let pageFrames: [Range<UInt64>]
    /// The 1st bitmap: frames that are RAM.
    public let ramBitmap: KdumpBitmap
    /// The 2nd bitmap: frames that were dumped (restricted to the part's PFNs in a split dump).
    public let dumpedBitmap: KdumpBitmap
    /// The ELF note blob as stored (the crashed kernel's PT_NOTE contents).
    public let noteBytes: [UInt8]
    /// The notes, merged as the capture kernel merges them.
    public let notes: MergedElfNotes
    /// VMCOREINFO: from the notes, or (version 3 dumps) from `offset_vmcoreinfo`.
    public let vmcoreInfo: VmcoreInfo?
    /// The PFNs this file holds when it is one part of a split dump.
    public let splitRange: Range<UInt64>?
    let rank: BitmapRank
    let state: KdumpReaderState

    /// The most bytes of notes, VMCOREINFO or eraseinfo read.
    public static let blobLimit: UInt64 = 256 << 20

    /// Opens the dump at `path`.
    /// - Throws: ``CrashDumpError`` as ``init(source:)``.
    public static func open(_ path: FilePath) throws(CrashDumpError) -> KdumpCompressedMemory {
        try KdumpCompressedMemory(source: DumpFile(path: path))
    }

    /// Reads and checks the headers, notes and bitmaps of the dump in `source`.
    ///
    /// Checks (crash and libkdumpfile check the same): the signature; the layout
    /// from `utsname.machine` and a plausible `block_size` (4 KiB to 256 KiB, a
    /// power of two); the sub-header inside the file; `max_mapnr_64` (version 6)
    /// not more than the bitmaps hold; both bitmaps inside the file; the notes,
    /// VMCOREINFO and split PFNs inside the file and the bitmap; a VMCOREINFO
    /// `PAGESIZE` equal to the block size.
    /// - Throws: ``CrashDumpError/truncated(field:offset:needed:available:)`` and
    ///   ``CrashDumpError/invalidField(field:offset:value:reason:)`` naming the field
    ///   and its offset, or an I/O error.
    public init(source: any CoreFileSource) throws(CrashDumpError) {
        let source = adaptedForDumpReading(source)
        self.source = source
        let fileSize = source.size
        let head = try source.bytes(at: 0, count: Int(min(fileSize, 464)), field: "disk_dump_header")
        guard KdumpHeader.signature(of: head) != nil else {
            if head.count < 8 {
                throw .truncated(field: "disk_dump_header signature", offset: 0, needed: 8, available: UInt64(head.count))
            }
            throw .invalidField(field: "signature", offset: 0, value: FieldReader(bytes: head, byteOrder: .big).u64(0),
                                reason: "neither \"KDUMP   \" nor \"DISKDUMP\"")
        }
        let layout = try KdumpHeader.detectLayout(head)
        self.layout = layout
        let header = try KdumpHeader(decoding: head, layout: layout)
        self.header = header
        let block = UInt64(header.blockSize)
        pageSize = Int(header.blockSize)

        var subHeader: KdumpSubHeader?
        if header.hasKdumpSubHeader {
            let bytes = try source.bytes(at: block, count: layout.subHeaderSize, field: "kdump_sub_header")
            subHeader = try KdumpSubHeader(decoding: bytes, layout: layout, headerVersion: header.headerVersion,
                                           fileOffset: block)
        }
        self.subHeader = subHeader

        // max_mapnr and the bitmaps.
        let bitmapBytes = UInt64(header.bitmapBlocks) * block
        let capacity = bitmapBytes * 8
        var maxPFN = UInt64(header.maxMapnr32)
        if let subHeader, header.headerVersion >= 6 {
            guard subHeader.maxMapnr <= capacity else {
                throw .invalidField(field: "max_mapnr_64",
                                    offset: KdumpSubHeader.fieldOffset("max_mapnr_64", layout: layout, blockSize: block),
                                    value: subHeader.maxMapnr,
                                    reason: "the \(header.bitmapBlocks) bitmap blocks hold only \(capacity) bits")
            }
            maxPFN = subHeader.maxMapnr
        }
        let bitmapOffset = header.bitmapOffset
        try source.checkExtent(field: "bitmaps (bitmap_blocks at \(layout.statusOffset + 12))", offset: bitmapOffset,
                               count: bitmapBytes)
        let eachBlocks = KdumpBitmap.blockCount(bitCount: maxPFN, blockSize: pageSize)
        let twoBitmaps = UInt64(header.bitmapBlocks) >= 2 * eachBlocks
        let secondOffset = twoBitmaps ? bitmapOffset + UInt64(header.bitmapBlocks / 2) * block : bitmapOffset
        let usedBytes = (maxPFN + 7) / 8
        guard usedBytes <= UInt64(Int.max) else {
            throw .invalidField(field: "max_mapnr", offset: nil, value: maxPFN, reason: "larger than this process can hold")
        }
        let ram = KdumpBitmap(decoding: try source.bytes(at: bitmapOffset, count: Int(usedBytes), field: "1st bitmap"),
                              bitCount: maxPFN)
        var dumped = twoBitmaps
            ? KdumpBitmap(decoding: try source.bytes(at: secondOffset, count: Int(usedBytes), field: "2nd bitmap"),
                          bitCount: maxPFN)
            : ram

        // A split part holds only its PFNs.
        var splitRange: Range<UInt64>?
        if let subHeader, header.headerVersion >= 2, subHeader.split != 0 {
            let is64 = header.headerVersion >= 6
            let start = is64 ? subHeader.startPFN : subHeader.startPFN32
            let end = is64 ? subHeader.endPFN : subHeader.endPFN32
            guard start <= end, end <= maxPFN else {
                throw .invalidField(field: is64 ? "end_pfn_64" : "end_pfn",
                                    offset: KdumpSubHeader.fieldOffset("end_pfn_64", layout: layout, blockSize: block),
                                    value: end, reason: "split range \(start)..<\(end) is not inside 0..<\(maxPFN)")
            }
            dumped.remove(0..<start)
            dumped.remove(end..<maxPFN)
            splitRange = start..<end
        }
        self.splitRange = splitRange
        self.maxPFN = maxPFN
        ramBitmap = ram
        dumpedBitmap = dumped
        rank = BitmapRank(dumped)
        pageFrames = dumped.runs

        // Notes and VMCOREINFO.
        var noteBytes: [UInt8] = []
        if let subHeader, header.headerVersion >= 4, subHeader.noteSize > 0 {
            noteBytes = try Self.blob(source, offset: subHeader.noteOffset, size: subHeader.noteSize, name: "note",
                                      layout: layout, block: block)
        }
        self.noteBytes = noteBytes
        notes = ElfNote.merge([noteBytes[...]], byteOrder: layout.byteOrder,
                              baseOffsets: [subHeader?.noteOffset ?? 0])
        var info = notes.notes.first { $0.isNote(name: ElfNote.Name.vmcoreinfo, type: ElfNote.NoteType.vmcoreinfo) }
            .map { VmcoreInfo(descriptor: $0.descriptor) }
        if info == nil, let subHeader, header.headerVersion >= 3, subHeader.vmcoreInfoSize > 0 {
            let text = try Self.blob(source, offset: subHeader.vmcoreInfoOffset, size: subHeader.vmcoreInfoSize,
                                     name: "vmcoreinfo", layout: layout, block: block)
            info = VmcoreInfo(descriptor: text)
        }
        vmcoreInfo = info
        if let declared = info?.pageSize, declared != block {
            throw .invalidField(field: "block_size", offset: UInt64(layout.statusOffset + 4), value: block,
                                reason: "VMCOREINFO says PAGESIZE=\(declared)")
        }
        state = KdumpReaderState(pageSize: pageSize)
    }

    /// Reads `size` bytes at `offset` named by sub-header fields `offset_<name>` /
    /// `size_<name>`, after checking they lie past block 0 and inside the file.
    static func blob(_ source: any DumpByteSource, offset: UInt64, size: UInt64, name: String,
                     layout: KdumpHeaderLayout, block: UInt64) throws(CrashDumpError) -> [UInt8] {
        let offsetField = "offset_\(name)"
        let sizeField = "size_\(name)"
        guard size <= blobLimit else {
            throw .invalidField(field: sizeField, offset: KdumpSubHeader.fieldOffset(sizeField, layout: layout, blockSize: block),
                                value: size, reason: "more than the \(blobLimit)-byte limit")
        }
        guard offset >= block else {
            throw .invalidField(field: offsetField,
                                offset: KdumpSubHeader.fieldOffset(offsetField, layout: layout, blockSize: block),
                                value: offset, reason: "inside the header block")
        }
        try source.checkExtent(field: "\(name) (\(offsetField), \(sizeField))", offset: offset, count: size)
        return try source.bytes(at: offset, count: Int(size), field: name)
    }

    /// The codec the header announces (`nil` for snappy).
    public var codec: PageCodec? { header.status.codec }
    /// Whether writing stopped early (status `DUMP_DH_COMPRESSED_INCOMPLETE`).
    public var isIncomplete: Bool { header.status.contains(.incomplete) }
    /// `dump_level` from the sub-header.
    public var dumpLevel: Int32? { subHeader?.dumpLevel }
    /// How many pages were dumped (set bits of the 2nd bitmap, descriptors in the table).
    public var dumpedPageCount: UInt64 { rank.total }

    /// The crashed machine, from `utsname.machine` and the byte order.
    public var architecture: KexecArchitecture? {
        Self.architecture(machine: header.utsname.machine, byteOrder: layout.byteOrder)
    }

    /// The architecture `utsname.machine` names (ppc64 by byte order).
    public static func architecture(machine: String, byteOrder: ByteOrder) -> KexecArchitecture? {
        switch machine {
        case "x86_64": .x86_64
        case "i386", "i486", "i586", "i686": .i386
        case "ppc64le": .ppc64le
        case "ppc64": byteOrder == .little ? .ppc64le : .ppc64
        case "ppc": .ppc
        default: nil
        }
    }

    /// The eraseinfo text makedumpfile appends (`--config` erase commands), empty
    /// when there is none.
    /// - Throws: ``CrashDumpError`` when its offset or size is out of the file.
    public func eraseInfo() throws(CrashDumpError) -> [UInt8] {
        guard let subHeader, header.headerVersion >= 5, subHeader.eraseInfoSize > 0 else { return [] }
        return try Self.blob(source, offset: subHeader.eraseInfoOffset, size: subHeader.eraseInfoSize, name: "eraseinfo",
                             layout: layout, block: UInt64(pageSize))
    }

    /// The descriptor of dumped frame `pfn`.
    /// - Throws: ``CrashDumpError/pageExcluded(pfn:)``, ``CrashDumpError/notInDump(address:)``,
    ///   or ``CrashDumpError/corruptPage(pfn:reason:)`` when the descriptor lies past the end of the file.
    public func descriptor(ofPFN pfn: UInt64) throws(CrashDumpError) -> KdumpPageDescriptor {
        try checkDumped(pfn, address: pfn &* UInt64(pageSize))
        let table = try descriptors(from: rank.rank(pfn), count: 1, firstPFN: pfn)
        guard let first = table.first else {
            throw .corruptPage(pfn: pfn, reason: "no page descriptor")
        }
        return first
    }

    /// Throws unless `pfn` was dumped: excluded when it is RAM, not in the dump otherwise.
    func checkDumped(_ pfn: UInt64, address: UInt64) throws(CrashDumpError) {
        guard pfn < maxPFN, dumpedBitmap.contains(pfn) else {
            if pfn < maxPFN, ramBitmap.contains(pfn), splitRange.map({ $0.contains(pfn) }) ?? true {
                throw .pageExcluded(pfn: pfn)
            }
            throw .notInDump(address: address)
        }
    }
}
