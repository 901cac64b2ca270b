/// Where everything goes in a kdump-compressed file, fixed once the block (page)
/// size, the note blob and max_mapnr are known - the arithmetic of makedumpfile's
/// `write_kdump_header` and `prepare_bitmap2_buffer`:
///
/// block 0 `disk_dump_header`; block 1 `kdump_sub_header` and the notes right
/// after it (`sub_hdr_size` = ceil((sub-header + notes) / block) blocks); the 1st
/// bitmap and the 2nd bitmap, each ``bitmapBlocksEach`` blocks; the page
/// descriptors (24 bytes per dumped page); the page data; eraseinfo last.
public struct KdumpFileGeometry: Hashable, Sendable {
    /// The header layout.
    public let layout: KdumpHeaderLayout
    /// The block (page) size.
    public let blockSize: Int
    /// One past the highest page frame (max_mapnr).
    public let maxMapnr: UInt64
    /// Bytes of the ELF note blob copied after the sub-header.
    public let noteSize: UInt64
    /// `sub_hdr_size`: blocks holding the sub-header and the notes.
    public let subHeaderBlocks: UInt64
    /// Blocks of one bitmap.
    public let bitmapBlocksEach: UInt64

    /// The geometry of a dump of `maxMapnr` frames with a `noteSize`-byte note blob.
    /// - Throws: ``CrashDumpError/invalidField(field:offset:value:reason:)`` when
    ///   the block size is not a power of two from 4 KiB to 256 KiB, or a count does
    ///   not fit its 32-bit header field.
    public init(layout: KdumpHeaderLayout, blockSize: Int, maxMapnr: UInt64, noteSize: UInt64) throws(CrashDumpError) {
        guard let block32 = Int32(exactly: blockSize), KdumpHeader.isPlausibleBlockSize(block32) else {
            throw .invalidField(field: "block_size", offset: nil, value: UInt64(clamping: blockSize),
                                reason: "not a power of two from 4 KiB to 256 KiB")
        }
        let block = UInt64(blockSize)
        guard noteSize <= UInt64(Int32.max) else {
            throw .invalidField(field: "size_note", offset: nil, value: noteSize, reason: "larger than 2 GiB")
        }
        self.layout = layout
        self.blockSize = blockSize
        self.maxMapnr = maxMapnr
        self.noteSize = noteSize
        subHeaderBlocks = (UInt64(layout.subHeaderSize) + noteSize + block - 1) / block
        bitmapBlocksEach = KdumpBitmap.blockCount(bitCount: maxMapnr, blockSize: blockSize)
        guard subHeaderBlocks <= UInt64(Int32.max) else {
            throw .invalidField(field: "sub_hdr_size", offset: nil, value: subHeaderBlocks, reason: "does not fit 31 bits")
        }
        guard 2 * bitmapBlocksEach <= UInt64(UInt32.max) else {
            throw .invalidField(field: "bitmap_blocks", offset: nil, value: 2 * bitmapBlocksEach, reason: "does not fit 32 bits")
        }
    }

    /// `bitmap_blocks`: both bitmaps.
    public var bitmapBlocks: UInt64 { 2 * bitmapBlocksEach }
    /// `offset_note`: right after the sub-header in block 1.
    public var noteOffset: UInt64 { UInt64(blockSize) + UInt64(layout.subHeaderSize) }
    /// The 1st bitmap's offset.
    public var firstBitmapOffset: UInt64 { (1 + subHeaderBlocks) * UInt64(blockSize) }
    /// The 2nd bitmap's offset.
    public var secondBitmapOffset: UInt64 { firstBitmapOffset + bitmapBlocksEach * UInt64(blockSize) }
    /// The page descriptor table's offset.
    public var descriptorTableOffset: UInt64 { secondBitmapOffset + bitmapBlocksEach * UInt64(blockSize) }

    /// The offset of descriptor `index` (the `index`-th dumped page in PFN order).
    public func descriptorOffset(index: UInt64) -> UInt64 {
        descriptorTableOffset + index * UInt64(KdumpPageDescriptor.size)
    }

    /// The first byte after the descriptor table of `dumpedPages` pages: where page data starts.
    public func dataOffset(dumpedPages: UInt64) -> UInt64 { descriptorOffset(index: dumpedPages) }

    /// The header for this geometry (`block_size`, `sub_hdr_size`, `bitmap_blocks`,
    /// `max_mapnr` filled in).
    public func header(utsname: KdumpUtsname, status: KdumpStatus, cpuCount: Int32, timestampSeconds: Int64 = 0,
                       timestampMicroseconds: Int64 = 0) -> KdumpHeader {
        KdumpHeader(utsname: utsname, timestampSeconds: timestampSeconds, timestampMicroseconds: timestampMicroseconds,
                    status: status, blockSize: Int32(blockSize), subHeaderBlocks: Int32(subHeaderBlocks),
                    bitmapBlocks: UInt32(bitmapBlocks), maxMapnr32: UInt32(clamping: maxMapnr), cpuCount: cpuCount)
    }

    /// The sub-header for this geometry: the notes at ``noteOffset``, VMCOREINFO
    /// at `vmcoreInfo` (its descriptor's offset and size inside the note blob),
    /// `max_mapnr_64` and, as makedumpfile does, zero split PFNs.
    public func subHeader(physBase: UInt64, dumpLevel: Int32, vmcoreInfo: (offset: UInt64, size: UInt64)?,
                          eraseInfo: (offset: UInt64, size: UInt64)? = nil) -> KdumpSubHeader {
        KdumpSubHeader(physBase: physBase, dumpLevel: dumpLevel,
                       vmcoreInfoOffset: vmcoreInfo.map { noteOffset + $0.offset } ?? 0,
                       vmcoreInfoSize: vmcoreInfo?.size ?? 0,
                       noteOffset: noteSize > 0 ? noteOffset : 0, noteSize: noteSize,
                       eraseInfoOffset: eraseInfo?.offset ?? 0, eraseInfoSize: eraseInfo?.size ?? 0,
                       maxMapnr: maxMapnr)
    }

    /// Blocks 0 up to the 1st bitmap: header, zero padding, sub-header and notes,
    /// zero-padded to the end of the sub-header blocks.
    /// - Throws: as ``KdumpHeader/encoded(layout:)`` and ``KdumpSubHeader/encoded(layout:)``,
    ///   and ``CrashDumpError/invalidField(field:offset:value:reason:)`` when `notes`
    ///   is not ``noteSize`` bytes.
    public func headerBlocks(header: KdumpHeader, subHeader: KdumpSubHeader, notes: [UInt8]) throws(CrashDumpError) -> [UInt8] {
        guard UInt64(notes.count) == noteSize else {
            throw .invalidField(field: "notes", offset: noteOffset, value: UInt64(notes.count),
                                reason: "the geometry was made for \(noteSize) bytes of notes")
        }
        var bytes = try header.encoded(layout: layout)
        bytes.append(contentsOf: repeatElement(0, count: blockSize - bytes.count))
        bytes.append(contentsOf: try subHeader.encoded(layout: layout))
        bytes.append(contentsOf: notes)
        bytes.append(contentsOf: repeatElement(0, count: Int(firstBitmapOffset) - bytes.count))
        return bytes
    }
}
