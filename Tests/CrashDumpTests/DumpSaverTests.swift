import ElfNotes
import Foundation
import KexecCore
import SystemPackage
import Testing
@testable import CrashDump

/// A sink over memory that fails with ENOSPC once `limit` bytes of the output
/// would be passed, like a disk that fills up.
final class MemorySink: DumpSink {
    var bytes: [UInt8] = []
    let limit: UInt64
    var name: String { "<memory>" }
    var isSeekable: Bool { true }
    var unwrittenBytesReadAsZero: Bool { true }

    init(limit: UInt64 = .max) { self.limit = limit }

    func write(_ buffer: UnsafeRawBufferPointer, at offset: UInt64) throws(CrashDumpError) {
        let end = offset + UInt64(buffer.count)
        guard end <= limit else { throw .io(path: name, operation: "write", offset: offset, errno: .noSpace) }
        if bytes.count < Int(end) { bytes.append(contentsOf: repeatElement(0, count: Int(end) - bytes.count)) }
        bytes.replaceSubrange(Int(offset)..<Int(end), with: buffer)
    }

    func finish(size: UInt64) throws(CrashDumpError) {
        if bytes.count < Int(size) { bytes.append(contentsOf: repeatElement(0, count: Int(size) - bytes.count)) }
    }
}

/// A sink like a block device that held old data: bytes never written read back as 0xa5.
final class DeviceSink: DumpSink {
    let inner = MemorySink()
    var name: String { "<device>" }
    var isSeekable: Bool { true }
    var unwrittenBytesReadAsZero: Bool { false }
    var bytes: [UInt8] { inner.bytes }
    private var written: [Bool] = []

    func write(_ buffer: UnsafeRawBufferPointer, at offset: UInt64) throws(CrashDumpError) {
        try inner.write(buffer, at: offset)
        let end = Int(offset) + buffer.count
        if written.count < end { written.append(contentsOf: repeatElement(false, count: end - written.count)) }
        for index in Int(offset)..<end { written[index] = true }
    }

    func finish(size: UInt64) throws(CrashDumpError) {}

    /// The device's contents: old bytes wherever nothing was written.
    var contents: [UInt8] {
        zip(inner.bytes, written).map { $1 ? $0 : 0xa5 }
    }
}

@Suite("vmcore-dump save: writers read back by our readers and by peers")
struct DumpSaverTests {
    static let maxPFN = SyntheticKernelCore.maxPFN

    static func source(kernelInfo: Bool) throws -> Vmcore {
        try Vmcore(source: InMemoryCoreSource(try SyntheticKernelCore.core(kernelInfo: kernelInfo), name: "synthetic.elf"))
    }

    /// Every page as the original has it: RAM frames only.
    static func expectSamePages(_ dump: Vmcore, _ original: Vmcore, zeroExcluded: Bool,
                                sourceLocation: SourceLocation = #_sourceLocation) throws {
        for pfn in 0..<maxPFN where SyntheticKernelCore.isRAM(pfn) {
            let want = try original.memory.read(physical: pfn * 4096, count: 4096)
            let got: [UInt8]
            do {
                got = try dump.memory.read(physical: pfn * 4096, count: 4096)
            } catch {
                // ELF output without zero pages: the frame is outside every PT_LOAD's file bytes but reads as zeros.
                Issue.record("pfn \(pfn): \(error)", sourceLocation: sourceLocation)
                continue
            }
            #expect(got == want, "pfn 0x\(String(pfn, radix: 16))", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: [PageCodec.none, .zlib, .lzo, .zstd], [0, 1])
    func kdumpRoundTrip(codec: PageCodec, level: Int) throws {
        let original = try Self.source(kernelInfo: false)
        let sink = MemorySink()
        let options = SaveOptions(format: .kdump, codec: codec, dumpLevel: DumpLevel(level: level) ?? [], threads: 3,
                                  bufferBudget: 256 << 10, cyclePages: 1024)
        let summary = try DumpSaver.save(original, to: sink, options: options)
        #expect(summary.pagesPresent == UInt64((0..<Self.maxPFN).filter(SyntheticKernelCore.isRAM).count))
        #expect(summary.pagesFiltered == 0)
        #expect(summary.pagesUnreadable == 0)
        if codec != .none { #expect(summary.pagesCompressed > 0) }
        #expect(summary.pagesZero > 0, "zero pages share one stored page at every level")
        let dump = try Vmcore(source: InMemoryCoreSource(sink.bytes, name: "out.kdump"))
        #expect(dump.format == .kdumpCompressed)
        #expect(!dump.isIncomplete)
        #expect(dump.kdumpHeader?.status.contains(KdumpStatus(rawValue: codec.kdumpFlag)) == true)
        #expect(dump.notes.bytes == original.notes.bytes)
        try Self.expectSamePages(dump, original, zeroExcluded: level == 1)
    }

    @Test func threadCountDoesNotChangeTheOutput() throws {
        let original = try Self.source(kernelInfo: true)
        var outputs: [[UInt8]] = []
        for threads in [1, 2, 5] {
            let sink = MemorySink()
            _ = try DumpSaver.save(original, to: sink, options: SaveOptions(codec: .zstd, dumpLevel: .zero, threads: threads,
                                                                          bufferBudget: 128 << 10, cyclePages: 512))
            // The header's timestamp (offset 408, 16 bytes) is the wall clock.
            sink.bytes.replaceSubrange(408..<424, with: repeatElement(0, count: 16))
            outputs.append(sink.bytes)
        }
        #expect(outputs[0] == outputs[1])
        #expect(outputs[0] == outputs[2])
    }

    @Test(arguments: [PageCodec.zlib, .lzo, .zstd])
    func libkdumpfileReadsEveryPage(codec: PageCodec) throws {
        guard FormatFixtures.hasKdumpfile else {
            Issue.record("python3-libkdumpfile is not installed (Scripts/install-deps.sh installs it)")
            return
        }
        let original = try Self.source(kernelInfo: true)
        let sink = MemorySink()
        _ = try DumpSaver.save(original, to: sink, options: SaveOptions(codec: codec, dumpLevel: .zero, threads: 2))
        let file = try FormatFixtures.write(sink.bytes, name: "ours-\(codec).kdump")
        let pages = try FormatFixtures.kdumpfilePages(file, maxPFN: Self.maxPFN)
        var compared = 0
        for pfn in 0..<Self.maxPFN where SyntheticKernelCore.isRAM(pfn) {
            let want = try original.memory.read(physical: pfn * 4096, count: 4096)
            #expect(pages[Int(pfn)] == want, "libkdumpfile pfn 0x\(String(pfn, radix: 16))")
            compared += 1
        }
        #expect(compared > 3000)
    }

    @Test func elfOutputDropsZeroRunsAndReadsBack() throws {
        let original = try Self.source(kernelInfo: true)
        let sink = MemorySink()
        // Synthetic pages are zero every 4th frame: single frames, below the split gap, so they stay in the file as holes.
        let summary = try DumpSaver.save(original, to: sink, options: SaveOptions(format: .elf, dumpLevel: .zero, threads: 2))
        #expect(summary.pagesZero > 0)
        let dump = try Vmcore(source: InMemoryCoreSource(sink.bytes, name: "out.elf"))
        #expect(dump.format == .elf)
        #expect(!dump.isIncomplete)
        #expect(dump.elfCore?.loads.contains(where: \.isKernelText) == true)
        try Self.expectSamePages(dump, original, zeroExcluded: true)
        let file = try FormatFixtures.write(sink.bytes, name: "ours.elf")
        let readelf = try FormatFixtures.run("/usr/bin/readelf", ["-l", "-W", file])
        #expect(readelf.status == 0, "\(readelf.errors)")
        #expect(readelf.output.contains("NOTE"))
        #expect(readelf.output.contains("LOAD"))
    }

    @Test func elfSplitsLongExcludedRuns() throws {
        // A core with a long run of zero pages in the middle of a RAM range.
        let page = { (value: UInt8) in [UInt8](repeating: value, count: 4096) }
        var bytes: [UInt8] = []
        for pfn in 0..<1024 { bytes.append(contentsOf: (100..<700).contains(pfn) ? page(0) : page(UInt8(pfn % 250 + 1))) }
        let core = try ElfCoreWriter(architecture: .x86_64, noteSegments: [], loads: [
            .init(physicalStart: PhysicalAddress(0x100000), virtualStart: VirtualAddress(0xffff_8880_0010_0000), bytes: bytes),
        ]).bytes()
        let original = try Vmcore(source: InMemoryCoreSource(core, name: "zeros.elf"))
        let sink = MemorySink()
        let summary = try DumpSaver.save(original, to: sink, options: SaveOptions(format: .elf, dumpLevel: .zero))
        #expect(summary.pagesZero == 600)
        let dump = try Vmcore(source: InMemoryCoreSource(sink.bytes, name: "out.elf"))
        let loads = dump.elfCore?.loads ?? []
        #expect(loads.count == 2)
        #expect(loads.first.map { $0.fileSize < $0.physical.size } == true, "the excluded run is the first load's tail")
        #expect(sink.bytes.count < 500 * 4096, "the zero run takes no file space")
        for pfn in [0, 99, 700, 1023] as [UInt64] {
            let address = 0x100000 + pfn * 4096
            #expect(try dump.memory.read(physical: address, count: 4096) == original.memory.read(physical: address, count: 4096))
        }
        // Past p_filesz: the reader says "excluded" (crash's "page excluded"), not silently zero.
        for pfn in [100, 699] as [UInt64] {
            #expect(throws: CrashDumpError.pageExcluded(pfn: 0x100 + pfn)) {
                try dump.memory.read(physical: 0x100000 + pfn * 4096, count: 4096)
            }
        }
    }

    @Test func fullDiskLeavesAnIncompleteReadableDump() throws {
        let original = try Self.source(kernelInfo: false)
        let complete = MemorySink()
        _ = try DumpSaver.save(original, to: complete, options: SaveOptions(codec: .lzo, dumpLevel: []))
        let limit = UInt64(complete.bytes.count) * 2 / 3
        let sink = MemorySink(limit: limit)
        do {
            _ = try DumpSaver.save(original, to: sink, options: SaveOptions(codec: .lzo, dumpLevel: []))
            Issue.record("the save went through a full disk")
        } catch {
            guard case .io(_, "write", _, .noSpace) = error else {
                Issue.record("expected ENOSPC, got \(error)")
                return
            }
        }
        let dump = try Vmcore(source: InMemoryCoreSource(sink.bytes, name: "partial.kdump"))
        #expect(dump.isIncomplete)
        var readable = 0
        var missing = 0
        for pfn in 0..<Self.maxPFN where SyntheticKernelCore.isRAM(pfn) {
            do {
                let got = try dump.memory.read(physical: pfn * 4096, count: 4096)
                #expect(got == (try original.memory.read(physical: pfn * 4096, count: 4096)), "pfn \(pfn)")
                readable += 1
            } catch {
                missing += 1
            }
        }
        #expect(readable > 1000, "pages written before the disk filled stay readable")
        #expect(missing > 0)
    }

    @Test func flattenedStreamReassemblesLikeMakedumpfile() throws {
        let original = try Self.source(kernelInfo: true)
        let flat = FormatFixtures.path("ours.flat")
        let descriptor = try FileDescriptor.open(FilePath(flat), .writeOnly, options: [.create, .truncate],
                                                 permissions: [.ownerReadWrite])
        do {
            let sink = try FlattenedDumpSink(descriptor: descriptor, name: flat)
            _ = try DumpSaver.save(original, to: sink, options: SaveOptions(format: .flat, codec: .lzo, dumpLevel: .zero))
        }
        try descriptor.close()
        // Read directly as a flattened file.
        let direct = try Vmcore.open(path: FilePath(flat))
        #expect(direct.isFlattened)
        try Self.expectSamePages(direct, original, zeroExcluded: true)
        // Reassembled by us and by makedumpfile -R: the same file.
        let ours = FormatFixtures.path("ours.kdump")
        let result = try FlattenedFormat.reassemble(flat: FilePath(flat), to: FilePath(ours))
        #expect(result.isComplete)
        if FormatFixtures.hasMakedumpfile {
            let theirs = try FormatFixtures.makedumpfileReassemble(flat, name: "theirs.kdump")
            #expect(try FormatFixtures.read(theirs) == FormatFixtures.read(ours))
        }
    }
}

@Suite("vmcore-dump save: mapped input and remembered bitmaps change nothing in the output")
struct DumpSaverInputPathTests {
    /// The output with the header's wall-clock timestamp (offset 408, 16 bytes) cleared.
    static func save(_ vmcore: Vmcore, _ options: SaveOptions) throws -> [UInt8] {
        let sink = MemorySink()
        _ = try DumpSaver.save(vmcore, to: sink, options: options)
        if options.format != .elf { sink.bytes.replaceSubrange(408..<424, with: repeatElement(0, count: 16)) }
        return sink.bytes
    }

    @Test("a vmcore file is mapped chunk by chunk and gives the bytes pread gives",
          arguments: [SaveOptions.Format.kdump, .elf])
    func mappedFileEqualsMemory(format: SaveOptions.Format) throws {
        let core = try SyntheticKernelCore.core(kernelInfo: true)
        let path = try FormatFixtures.write(core, name: "mapped-input-\(format).elf")
        let file = try Vmcore.open(path: FilePath(path))
        let memory = try #require(file.memory as? ElfVmcoreMemory)
        // Inside one PT_LOAD: mapped, and the same bytes as a read.
        let frame = try #require(memory.wholePageFrames.first { $0.count > 4 })
        let start = (frame.lowerBound + 1) * 4096
        let mapping = try #require(memory.mapping(physical: start, count: 3 * 4096))
        #expect(Array(mapping.bytes) == (try memory.read(physical: start, count: 3 * 4096)))
        // Past the load's file bytes or from a source in memory: not mapped.
        #expect(memory.mapping(physical: (frame.upperBound - 1) * 4096, count: 2 * 4096) == nil)
        let inMemory = try Vmcore(source: InMemoryCoreSource(core, name: "synthetic.elf"))
        #expect((inMemory.memory as? ElfVmcoreMemory)?.mapping(physical: start, count: 4096) == nil)

        let options = SaveOptions(format: format, codec: .lzo, dumpLevel: .zero, threads: 2,
                                  bufferBudget: 256 << 10, cyclePages: 1024)
        #expect(try Self.save(file, options) == Self.save(inMemory, options))
        let fromFile = try DumpSaver.save(file, to: MemorySink(), options: options)
        #expect(fromFile.bytesMapped > 0 && fromFile.bytesMapped <= fromFile.bytesRead)
        #expect(try DumpSaver.save(inMemory, to: MemorySink(), options: options).bytesMapped == 0)
    }

    /// Drops every third frame and counts how often it is asked.
    final class EveryThirdFrame: PageFilter {
        var calls = 0
        func filter(_ kept: inout CycleBitmap) throws(CrashDumpError) {
            calls += 1
            for pfn in kept.frames where pfn % 3 == 0 { kept.set(pfn, false) }
        }
    }

    @Test("pass 2 uses pass 1's bitmaps; judged again (cache over budget) the file is the same",
          arguments: [SaveOptions.Format.kdump, .elf])
    func cacheBudgetDoesNotChangeTheOutput(format: SaveOptions.Format) throws {
        let vmcore = try DumpSaverTests.source(kernelInfo: true)
        let input = try DumpSaver.dumpInput(vmcore)
        var options = SaveOptions(format: format, codec: .zstd, dumpLevel: .zero, threads: 2,
                                  bufferBudget: 256 << 10, cyclePages: 1024)
        let cycles = Int((input.memory.maxPFN + 1023) / 1024)
        var outputs: [[UInt8]] = []
        for budget in [8 << 20, 0] {
            options.bitmapCacheBudget = budget
            let filter = EveryThirdFrame()
            let sink = MemorySink()
            let throttle = ProgressThrottle(handler: nil)
            let summary: SaveSummary
            if format == .elf {
                summary = try ElfDumpWriter(input: input, options: options, filter: filter, sink: sink, progress: throttle).write()
            } else {
                summary = try KdumpDumpWriter(
                    input: input, options: options, filter: filter, sink: sink, progress: throttle,
                    makeEncoder: { () throws(CrashDumpError) -> (any PageEncoding)? in
                        do { return try PageCodec.zstd.makeCompressor(pageSize: 4096) } catch { throw .unsupported("\(error)") }
                    },
                    layout: KdumpHeaderLayout(architecture: .x86_64)).write()
                sink.bytes.replaceSubrange(408..<424, with: repeatElement(0, count: 16))
            }
            #expect(summary.pagesFiltered > 1000)
            #expect(filter.calls == (budget == 0 ? 2 * cycles : cycles), "budget \(budget)")
            outputs.append(sink.bytes)
        }
        #expect(outputs[0] == outputs[1])
    }

    @Test("the bitmap cache stores in order until the budget, then forgets everything")
    func cacheBudget() {
        let cache = CycleBitmapCache(budget: 3 * 16)
        let bitmap = CycleBitmap(base: 0, count: 128)  // 16 bytes
        cache.store([bitmap])
        cache.store([bitmap, bitmap])
        #expect(cache.load(0)?.count == 1)
        #expect(cache.load(1)?.count == 2)
        #expect(cache.load(2) == nil)
        cache.store([bitmap])
        #expect(cache.load(0) == nil, "past the budget, the writer judges every cycle again")
    }

    @Test("a file sink's gathered write (pwritev, over 1024 pieces, some adjacent) lands every byte in order")
    func gatheredFileWrite() throws {
        let path = FormatFixtures.path("gathered.bin")
        let sink = try FileDumpSink(creating: FilePath(path))
        var storage = [UInt8](repeating: 0, count: 3000 * 7)
        for index in storage.indices { storage[index] = UInt8(truncatingIfNeeded: index &* 31 &+ 7) }
        var expected: [UInt8] = []
        try storage.withUnsafeBytes { all in
            var pieces: [UnsafeRawBufferPointer] = []
            for piece in 0..<3000 where piece % 5 != 3 {  // skip some: not everything is adjacent
                let slice = UnsafeRawBufferPointer(rebasing: all[piece * 7..<piece * 7 + 7])
                PageWorkerBuffers.append(slice, mergingInto: &pieces)
                expected.append(contentsOf: slice)
            }
            #expect(pieces.count > 500)
            try sink.write(gathering: pieces, at: 100)
        }
        try sink.finish(size: UInt64(100 + expected.count))
        let written = try FormatFixtures.read(path)
        #expect(written.count == 100 + expected.count)
        #expect(Array(written[100...]) == expected)
    }

    @Test("saving to a file (gathered writes) and to memory give the same kdump bytes")
    func fileSinkEqualsMemorySink() throws {
        let vmcore = try DumpSaverTests.source(kernelInfo: true)
        let options = SaveOptions(format: .kdump, codec: .lzo, dumpLevel: .zero, threads: 2,
                                  bufferBudget: 256 << 10, cyclePages: 1024)
        let path = FormatFixtures.path("gathered.kdump")
        let fileSink = try FileDumpSink(creating: FilePath(path))
        _ = try DumpSaver.save(vmcore, to: fileSink, options: options)
        var fromFile = try FormatFixtures.read(path)
        fromFile.replaceSubrange(408..<424, with: repeatElement(0, count: 16))
        #expect(fromFile == (try Self.save(vmcore, options)))
    }

    @Test("a vmcore file cut short inside its last PT_LOAD: the lost pages are counted unreadable, the rest saved")
    func truncatedFileInput() throws {
        let core = try SyntheticKernelCore.core(kernelInfo: false)
        let cut = core.count - 5 * 4096 - 100
        let path = try FormatFixtures.write(Array(core.prefix(cut)), name: "truncated-input.elf")
        let vmcore = try Vmcore.open(path: FilePath(path))
        for format in [SaveOptions.Format.kdump, .elf] {
            let sink = MemorySink()
            let summary = try DumpSaver.save(vmcore, to: sink, options: SaveOptions(
                format: format, codec: .lzo, dumpLevel: [], threads: 2, bufferBudget: 256 << 10, cyclePages: 1024))
            #expect((5...7).contains(summary.pagesUnreadable), "\(format): \(summary.pagesUnreadable) unreadable")
            #expect(summary.pagesWritten > 1000)
        }
    }

    @Test("ELF onto a device (old bytes where nothing is written): excluded and zero pages are written as zeros")
    func elfOntoDevice() throws {
        let vmcore = try DumpSaverTests.source(kernelInfo: true)
        for level in [DumpLevel.zero, []] {
            let device = DeviceSink()
            let options = SaveOptions(format: .elf, codec: .none, dumpLevel: level, threads: 2,
                                      bufferBudget: 256 << 10, cyclePages: 1024)
            let summary = try DumpSaver.save(vmcore, to: device, options: options)
            #expect(summary.pagesWritten > 1000)
            let dump = try Vmcore(source: InMemoryCoreSource(device.contents, name: "device.elf"))
            try DumpSaverTests.expectSamePages(dump, vmcore, zeroExcluded: level.contains(.zero))
        }
    }
}
