import CrashDump
import ElfNotes
import KexecCore

/// A whole kdump-compressed file built in memory from the format building
/// blocks, the way a writer lays it out (makedumpfile's order): header blocks,
/// both bitmaps, descriptors, one shared zero page (when zero pages are shared),
/// then the page data.
struct TestKdumpImage {
    var bytes: [UInt8]
    var geometry: KdumpFileGeometry
    /// The file offset of each dumped frame's descriptor.
    var descriptorOffsets: [UInt64: UInt64]
    var header: KdumpHeader
    var subHeader: KdumpSubHeader
}

enum TestKdumpWriter {
    static func write(layout: KdumpHeaderLayout, blockSize: Int = 4096, maxPFN: UInt64, ram: KdumpBitmap,
                      dumped: KdumpBitmap, codec: PageCodec, notes: [UInt8] = [], shareZeroPages: Bool = false,
                      machine: String = "x86_64", dumpLevel: Int32 = 0,
                      page: (UInt64) -> [UInt8]) throws -> TestKdumpImage {
        let geometry = try KdumpFileGeometry(layout: layout, blockSize: blockSize, maxMapnr: maxPFN,
                                             noteSize: UInt64(notes.count))
        let header = geometry.header(utsname: KdumpUtsname(nodename: "test", release: "6.1.0-test", machine: machine),
                                     status: KdumpStatus(codec: codec), cpuCount: 1, timestampSeconds: 1_700_000_000)
        let merged = ElfNote.merge([notes], byteOrder: layout.byteOrder)
        var vmcoreInfo: (offset: UInt64, size: UInt64)?
        var position = 0
        for note in merged.notes {
            let nameLength = (note.name.utf8.count + 1 + 3) & ~3
            let total = 12 + nameLength + ((note.descriptor.count + 3) & ~3)
            if note.isNote(name: ElfNote.Name.vmcoreinfo, type: 0) {
                vmcoreInfo = (UInt64(position + 12 + nameLength), UInt64(note.descriptor.count))
            }
            position += total
        }
        let subHeader = geometry.subHeader(physBase: 0, dumpLevel: dumpLevel, vmcoreInfo: vmcoreInfo)
        var bytes = try geometry.headerBlocks(header: header, subHeader: subHeader, notes: notes)
        bytes.append(contentsOf: ram.encoded(blockSize: blockSize))
        bytes.append(contentsOf: dumped.encoded(blockSize: blockSize))
        let frames = dumped.runs.flatMap { Array($0) }
        var data: [UInt8] = []
        var table: [KdumpPageDescriptor] = []
        var offsets: [UInt64: UInt64] = [:]
        let dataStart = geometry.dataOffset(dumpedPages: UInt64(frames.count))
        let zero = [UInt8](repeating: 0, count: blockSize)
        var zeroDescriptor: KdumpPageDescriptor?
        if shareZeroPages {
            zeroDescriptor = KdumpPageDescriptor(offset: dataStart, size: UInt32(blockSize), codec: .none)
            data.append(contentsOf: zero)
        }
        let compressor = try codec.makeCompressor(pageSize: blockSize)
        for (index, pfn) in frames.enumerated() {
            offsets[pfn] = geometry.descriptorOffset(index: UInt64(index))
            let content = page(pfn)
            if let zeroDescriptor, content == zero {
                table.append(zeroDescriptor)
                continue
            }
            let offset = dataStart + UInt64(data.count)
            if let compressed = try compressor.compress(content) {
                table.append(KdumpPageDescriptor(offset: offset, size: UInt32(compressed.count), codec: codec))
                data.append(contentsOf: compressed)
            } else {
                table.append(KdumpPageDescriptor(offset: offset, size: UInt32(blockSize), codec: .none))
                data.append(contentsOf: content)
            }
        }
        bytes.append(contentsOf: KdumpPageDescriptor.encodeTable(table, byteOrder: layout.byteOrder))
        bytes.append(contentsOf: data)
        return TestKdumpImage(bytes: bytes, geometry: geometry, descriptorOffsets: offsets, header: header,
                              subHeader: subHeader)
    }

    /// A kdump image of the synthetic core's memory (every RAM frame dumped, or
    /// only those -d 31 keeps).
    static func synthetic(codec: PageCodec, level31: Bool = false, layout: KdumpHeaderLayout = .init(architecture: .x86_64),
                          shareZeroPages: Bool = false) throws -> TestKdumpImage {
        let maxPFN = SyntheticKernelCore.maxPFN
        var ram = KdumpBitmap(bitCount: maxPFN)
        for range in SyntheticKernelCore.ram { ram.insert((range.lowerBound / 4096)..<(range.upperBound / 4096)) }
        var dumped = ram
        if level31 {
            for pfn in 0..<maxPFN where !SyntheticKernelCore.keptAtLevel31(pfn) { dumped.remove(pfn) }
        }
        let notes = ElfNote.encode([VmcoreInfo(parsing: SyntheticKernelCore.vmcoreInfoText).note], byteOrder: layout.byteOrder)
        let machine = switch layout.model {
        case .lp64: layout.byteOrder == .little ? "x86_64" : "ppc64"
        case .ilp32Packed: "i686"
        case .ilp32Aligned: "ppc"
        }
        return try write(layout: layout, maxPFN: maxPFN, ram: ram, dumped: dumped, codec: codec, notes: notes,
                         shareZeroPages: shareZeroPages, machine: machine) { SyntheticKernelCore.page($0, kernelInfo: true) }
    }
}

/// Byte patches for hostile-input tests.
extension Array where Element == UInt8 {
    mutating func patch<T: FixedWidthInteger>(_ value: T, at offset: UInt64, byteOrder: ByteOrder = .little) {
        var writer = ByteWriter(byteOrder: byteOrder)
        writer.write(value)
        replaceSubrange(Int(offset)..<Int(offset) + writer.bytes.count, with: writer.bytes)
    }
}
