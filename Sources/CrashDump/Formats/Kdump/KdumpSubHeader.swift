import KexecCore

/// `struct kdump_sub_header`, at the start of block 1 of a kdump-compressed dump
/// (makedumpfile diskdump_mod.h). The ELF note blob follows it in the same
/// blocks; makedumpfile points ``noteOffset`` right after it.
///
/// Fields arrived with header versions: dump_level 1, split and the 32-bit PFNs
/// 2, VMCOREINFO 3, notes 4, eraseinfo 5, 64-bit PFNs and max_mapnr 6. A reader
/// looks only at the fields its header's version has.
public struct KdumpSubHeader: Hashable, Sendable {
    /// `phys_base`: the kernel's physical load offset (x86_64).
    public var physBase: UInt64
    /// `dump_level`: the -d value (0-31).
    public var dumpLevel: Int32
    /// `split`: nonzero when this file is one part of a split dump.
    public var split: Int32
    /// `start_pfn` (`unsigned long`; obsolete, cut to 32 bits by makedumpfile).
    public var startPFN32: UInt64
    /// `end_pfn` (obsolete).
    public var endPFN32: UInt64
    /// `offset_vmcoreinfo`: file offset of the VMCOREINFO text (inside the notes).
    public var vmcoreInfoOffset: UInt64
    /// `size_vmcoreinfo`.
    public var vmcoreInfoSize: UInt64
    /// `offset_note`: file offset of the ELF note blob (block size + sub-header size).
    public var noteOffset: UInt64
    /// `size_note`.
    public var noteSize: UInt64
    /// `offset_eraseinfo`: file offset of the eraseinfo text (after the page data).
    public var eraseInfoOffset: UInt64
    /// `size_eraseinfo`.
    public var eraseInfoSize: UInt64
    /// `start_pfn_64`: first PFN of a split part.
    public var startPFN: UInt64
    /// `end_pfn_64`: one past the last PFN of a split part.
    public var endPFN: UInt64
    /// `max_mapnr_64`: one past the highest PFN of the crashed machine.
    public var maxMapnr: UInt64

    /// A sub-header with every field given (zero by default).
    public init(physBase: UInt64 = 0, dumpLevel: Int32 = 0, split: Int32 = 0, startPFN32: UInt64 = 0,
                endPFN32: UInt64 = 0, vmcoreInfoOffset: UInt64 = 0, vmcoreInfoSize: UInt64 = 0, noteOffset: UInt64 = 0,
                noteSize: UInt64 = 0, eraseInfoOffset: UInt64 = 0, eraseInfoSize: UInt64 = 0, startPFN: UInt64 = 0,
                endPFN: UInt64 = 0, maxMapnr: UInt64) {
        self.physBase = physBase
        self.dumpLevel = dumpLevel
        self.split = split
        self.startPFN32 = startPFN32
        self.endPFN32 = endPFN32
        self.vmcoreInfoOffset = vmcoreInfoOffset
        self.vmcoreInfoSize = vmcoreInfoSize
        self.noteOffset = noteOffset
        self.noteSize = noteSize
        self.eraseInfoOffset = eraseInfoOffset
        self.eraseInfoSize = eraseInfoSize
        self.startPFN = startPFN
        self.endPFN = endPFN
        self.maxMapnr = maxMapnr
    }

    /// Byte offsets of the fields in one layout.
    struct Offsets {
        let physBase, dumpLevel, split, startPFN32, endPFN32: Int
        let vmcoreInfoOffset, vmcoreInfoSize, noteOffset, noteSize, eraseInfoOffset, eraseInfoSize: Int
        let startPFN, endPFN, maxMapnr: Int

        init(_ model: KdumpHeaderLayout.Model) {
            switch model {
            case .lp64:
                (physBase, dumpLevel, split, startPFN32, endPFN32) = (0, 8, 12, 16, 24)
                (vmcoreInfoOffset, vmcoreInfoSize, noteOffset, noteSize, eraseInfoOffset, eraseInfoSize) = (32, 40, 48, 56, 64, 72)
                (startPFN, endPFN, maxMapnr) = (80, 88, 96)
            case .ilp32Packed:
                (physBase, dumpLevel, split, startPFN32, endPFN32) = (0, 4, 8, 12, 16)
                (vmcoreInfoOffset, vmcoreInfoSize, noteOffset, noteSize, eraseInfoOffset, eraseInfoSize) = (20, 28, 32, 40, 44, 52)
                (startPFN, endPFN, maxMapnr) = (56, 64, 72)
            case .ilp32Aligned:
                (physBase, dumpLevel, split, startPFN32, endPFN32) = (0, 4, 8, 12, 16)
                (vmcoreInfoOffset, vmcoreInfoSize, noteOffset, noteSize, eraseInfoOffset, eraseInfoSize) = (24, 32, 40, 48, 56, 64)
                (startPFN, endPFN, maxMapnr) = (72, 80, 88)
            }
        }
    }

    /// The sub-header's bytes (``KdumpHeaderLayout/subHeaderSize`` of them).
    /// - Throws: ``CrashDumpError/invalidField(field:offset:value:reason:)`` when a
    ///   `long` field (phys_base, the 32-bit PFNs, the sizes) does not fit a 32-bit layout.
    public func encoded(layout: KdumpHeaderLayout) throws(CrashDumpError) -> [UInt8] {
        let offsets = Offsets(layout.model)
        var bytes = [UInt8](repeating: 0, count: layout.subHeaderSize)
        func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
            var writer = ByteWriter(byteOrder: layout.byteOrder)
            writer.write(value)
            bytes.replaceSubrange(offset..<offset + writer.bytes.count, with: writer.bytes)
        }
        func putWord(_ value: UInt64, at offset: Int, field: String) throws(CrashDumpError) {
            if layout.is64Bit {
                put(value, at: offset)
            } else {
                guard let narrow = UInt32(exactly: value) else {
                    throw .invalidField(field: field, offset: UInt64(offset), value: value,
                                        reason: "does not fit the 32-bit unsigned long of a \(layout.model) sub-header")
                }
                put(narrow, at: offset)
            }
        }
        try putWord(physBase, at: offsets.physBase, field: "phys_base")
        put(dumpLevel, at: offsets.dumpLevel)
        put(split, at: offsets.split)
        try putWord(startPFN32, at: offsets.startPFN32, field: "start_pfn")
        try putWord(endPFN32, at: offsets.endPFN32, field: "end_pfn")
        put(vmcoreInfoOffset, at: offsets.vmcoreInfoOffset)
        try putWord(vmcoreInfoSize, at: offsets.vmcoreInfoSize, field: "size_vmcoreinfo")
        put(noteOffset, at: offsets.noteOffset)
        try putWord(noteSize, at: offsets.noteSize, field: "size_note")
        put(eraseInfoOffset, at: offsets.eraseInfoOffset)
        try putWord(eraseInfoSize, at: offsets.eraseInfoSize, field: "size_eraseinfo")
        put(startPFN, at: offsets.startPFN)
        put(endPFN, at: offsets.endPFN)
        put(maxMapnr, at: offsets.maxMapnr)
        return bytes
    }

    /// Decodes a sub-header of `layout` read from file offset `fileOffset`, keeping
    /// only the fields `headerVersion` has (the others read as 0).
    ///
    /// Field values are not checked here; ``KdumpCompressedMemory`` checks each
    /// offset and size against the file.
    /// - Throws: ``CrashDumpError/truncated(field:offset:needed:available:)``.
    public init(decoding bytes: [UInt8], layout: KdumpHeaderLayout, headerVersion: Int32,
                fileOffset: UInt64 = 0) throws(CrashDumpError) {
        guard bytes.count >= layout.subHeaderSize else {
            throw .truncated(field: "kdump_sub_header", offset: fileOffset, needed: UInt64(layout.subHeaderSize),
                             available: UInt64(bytes.count))
        }
        let offsets = Offsets(layout.model)
        let fields = FieldReader(bytes: bytes, byteOrder: layout.byteOrder)
        let is64 = layout.is64Bit
        self.init(maxMapnr: 0)
        physBase = fields.word(offsets.physBase, is64: is64)
        dumpLevel = fields.i32(offsets.dumpLevel)
        if headerVersion >= 2 {
            split = fields.i32(offsets.split)
            startPFN32 = fields.word(offsets.startPFN32, is64: is64)
            endPFN32 = fields.word(offsets.endPFN32, is64: is64)
        }
        if headerVersion >= 3 {
            vmcoreInfoOffset = fields.u64(offsets.vmcoreInfoOffset)
            vmcoreInfoSize = fields.word(offsets.vmcoreInfoSize, is64: is64)
        }
        if headerVersion >= 4 {
            noteOffset = fields.u64(offsets.noteOffset)
            noteSize = fields.word(offsets.noteSize, is64: is64)
        }
        if headerVersion >= 5 {
            eraseInfoOffset = fields.u64(offsets.eraseInfoOffset)
            eraseInfoSize = fields.word(offsets.eraseInfoSize, is64: is64)
        }
        if headerVersion >= 6 {
            startPFN = fields.u64(offsets.startPFN)
            endPFN = fields.u64(offsets.endPFN)
            maxMapnr = fields.u64(offsets.maxMapnr)
        }
    }

    /// The file offset of the sub-header field `name` (for errors), in `layout`.
    static func fieldOffset(_ name: String, layout: KdumpHeaderLayout, blockSize: UInt64) -> UInt64 {
        let offsets = Offsets(layout.model)
        let relative: Int
        switch name {
        case "offset_vmcoreinfo": relative = offsets.vmcoreInfoOffset
        case "size_vmcoreinfo": relative = offsets.vmcoreInfoSize
        case "offset_note": relative = offsets.noteOffset
        case "size_note": relative = offsets.noteSize
        case "offset_eraseinfo": relative = offsets.eraseInfoOffset
        case "size_eraseinfo": relative = offsets.eraseInfoSize
        case "start_pfn_64": relative = offsets.startPFN
        case "end_pfn_64": relative = offsets.endPFN
        case "max_mapnr_64": relative = offsets.maxMapnr
        default: relative = 0
        }
        return blockSize + UInt64(relative)
    }
}
