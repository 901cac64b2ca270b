import CrashDump
import ElfNotes
import Foundation
import KexecCore
import KexecTestSupport
import SystemPackage
import Testing

/// Compares a dump's memory with the synthetic core, frame by frame: dumped
/// frames must match, the others must throw the right error.
enum SyntheticComparison {
    struct Outcome {
        var dumped = 0
        var excluded: [UInt64] = []
    }

    static func compare(_ memory: any PhysicalMemory, kernelInfo: Bool) throws -> Outcome {
        var outcome = Outcome()
        #expect(memory.pageSize == 4096)
        #expect(memory.maxPFN == SyntheticKernelCore.maxPFN)
        // Whole runs at once (the fast path)...
        for run in memory.pageFrames {
            let bytes = try memory.read(physical: run.lowerBound * 4096, count: Int(run.count) * 4096)
            for pfn in run {
                let start = Int(pfn - run.lowerBound) * 4096
                let expected = SyntheticKernelCore.page(pfn, kernelInfo: kernelInfo)
                if Array(bytes[start..<start + 4096]) != expected {
                    Issue.record("frame 0x\(String(pfn, radix: 16)) differs")
                    return outcome
                }
            }
        }
        // ...and frame by frame, with the right error for frames not dumped.
        for pfn in 0..<SyntheticKernelCore.maxPFN {
            switch probe(memory, pfn) {
            case .success(let page):
                #expect(page == Array(SyntheticKernelCore.page(pfn, kernelInfo: kernelInfo)[100..<150]))
                #expect(memory.contains(pfn: pfn))
                outcome.dumped += 1
            case .failure(.pageExcluded(let excluded)):
                #expect(excluded == pfn && SyntheticKernelCore.isRAM(pfn))
                outcome.excluded.append(pfn)
            case .failure(.notInDump):
                #expect(!SyntheticKernelCore.isRAM(pfn), "RAM frame 0x\(String(pfn, radix: 16)) not in the dump")
            case .failure(let error):
                throw error
            }
        }
        return outcome
    }

    static func probe(_ memory: any PhysicalMemory, _ pfn: UInt64) -> Result<[UInt8], CrashDumpError> {
        Result { () throws(CrashDumpError) in try memory.read(physical: pfn * 4096 + 100, count: 50) }
    }

    static var ramFrames: Int { SyntheticKernelCore.ram.reduce(0) { $0 + Int($1.count / 4096) } }

    static var level31Kept: Int {
        (0..<SyntheticKernelCore.maxPFN).filter { SyntheticKernelCore.keptAtLevel31($0) }.count
    }
}

struct KdumpCompressedMemoryTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var arguments: [String]
        var kernelInfo: Bool
        var codec: PageCodec
        var testDescription: String { "makedumpfile \(arguments.joined(separator: " "))" }
    }

    static let cases = [
        Case(arguments: ["-d", "0"], kernelInfo: false, codec: .none),
        Case(arguments: ["-d", "1"], kernelInfo: false, codec: .none),
        Case(arguments: ["-c", "-d", "0"], kernelInfo: false, codec: .zlib),
        Case(arguments: ["-l", "-d", "1"], kernelInfo: false, codec: .lzo),
        Case(arguments: ["-d", "31"], kernelInfo: true, codec: .none),
        Case(arguments: ["-c", "-d", "31"], kernelInfo: true, codec: .zlib),
        Case(arguments: ["-l", "-d", "31"], kernelInfo: true, codec: .lzo),
    ]

    @Test("reads makedumpfile's kdump files page for page", .enabled(if: FormatFixtures.hasMakedumpfile), arguments: cases)
    func makedumpfileOutput(_ testCase: Case) throws {
        let core = try (testCase.kernelInfo ? FormatFixtures.kernelCore : FormatFixtures.plainCore).get()
        let path = try FormatFixtures.makedumpfile(testCase.arguments, input: core, name: "dump.kdump")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let memory = try KdumpCompressedMemory.open(FilePath(path))
        #expect(memory.header.signature == .kdump && memory.header.headerVersion == 6)
        #expect(memory.layout == KdumpHeaderLayout(architecture: .x86_64))
        #expect(memory.codec == testCase.codec)
        #expect(!memory.isIncomplete)
        #expect(memory.dumpLevel == Int32(testCase.arguments.last ?? ""))
        #expect(memory.subHeader?.noteOffset == 4096 + 104)
        #expect(memory.notes.notes.first?.isNote(name: "CORE", type: 1) == true)
        let outcome = try SyntheticComparison.compare(memory, kernelInfo: testCase.kernelInfo)
        if testCase.kernelInfo {
            #expect(memory.architecture == .x86_64)
            #expect(memory.header.utsname.release == "6.1.0-synthetic")
            #expect(memory.vmcoreInfo?.osRelease == "6.1.0-synthetic")
            #expect(outcome.dumped == SyntheticComparison.level31Kept)
            #expect(outcome.excluded.allSatisfy { !SyntheticKernelCore.keptAtLevel31($0) })
        } else {
            #expect(memory.vmcoreInfo == nil)
            #expect(outcome.dumped == SyntheticComparison.ramFrames)
            #expect(outcome.excluded.isEmpty)
        }
        #expect(memory.dumpedPageCount == UInt64(outcome.dumped))
    }

    static let layouts: [KexecArchitecture] = [.x86_64, .i386, .ppc64, .ppc64le, .ppc]

    @Test("own files round-trip through the reader", arguments: PageCodec.allCases, layouts)
    func roundTrip(codec: PageCodec, architecture: KexecArchitecture) throws {
        let layout = KdumpHeaderLayout(architecture: architecture)
        let image = try TestKdumpWriter.synthetic(codec: codec, level31: true, layout: layout, shareZeroPages: true)
        let memory = try KdumpCompressedMemory(source: InMemoryCoreSource(image.bytes))
        #expect(memory.header == image.header)
        #expect(memory.subHeader == image.subHeader)
        #expect(memory.layout == layout)
        #expect(memory.vmcoreInfo?.osRelease == "6.1.0-synthetic")
        let outcome = try SyntheticComparison.compare(memory, kernelInfo: true)
        #expect(outcome.dumped == SyntheticComparison.level31Kept)
    }

    @Test("one reader serves several threads at once")
    func concurrentReads() async throws {
        let image = try TestKdumpWriter.synthetic(codec: .zlib, level31: true, shareZeroPages: true)
        let memory = try Self.open(image.bytes)
        let frames = memory.pageFrames.flatMap { Array($0) }
        let mismatches = try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    var bad = 0
                    for (index, pfn) in frames.enumerated() where index % 4 == worker {
                        // Alternate whole pages and sub-page reads (the page cache path).
                        if index % 3 == 0 {
                            let bytes = try memory.read(physical: pfn * 4096 + 1000, count: 100)
                            if bytes != Array(SyntheticKernelCore.page(pfn, kernelInfo: true)[1000..<1100]) { bad += 1 }
                        } else if try memory.read(physical: pfn * 4096, count: 4096) != SyntheticKernelCore.page(pfn, kernelInfo: true) {
                            bad += 1
                        }
                    }
                    return bad
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }

    @Test("zero pages sharing one descriptor decode to zeros")
    func sharedZeroPages() throws {
        let image = try TestKdumpWriter.synthetic(codec: .zstd, shareZeroPages: true)
        let memory = try KdumpCompressedMemory(source: InMemoryCoreSource(image.bytes))
        #expect(try memory.descriptor(ofPFN: 0x100) == memory.descriptor(ofPFN: 0x104))
        let outcome = try SyntheticComparison.compare(memory, kernelInfo: true)
        #expect(outcome.dumped == SyntheticComparison.ramFrames)
    }

    @Test("libkdumpfile reads our files identically", .enabled(if: FormatFixtures.hasKdumpfile),
          arguments: [(PageCodec.zstd, KexecArchitecture.x86_64), (.zlib, .x86_64), (.lzo, .x86_64), (.none, .x86_64),
                      (.zstd, .i386), (.lzo, .ppc64)])
    func libkdumpfileJudges(codec: PageCodec, architecture: KexecArchitecture) throws {
        var image = try TestKdumpWriter.synthetic(codec: codec, level31: true,
                                                  layout: KdumpHeaderLayout(architecture: architecture), shareZeroPages: true)
        let machine = architecture == .i386 ? "i686" : architecture.rawValue
        var header = image.header
        header.utsname.machine = machine
        let encoded = try header.encoded(layout: KdumpHeaderLayout(architecture: architecture))
        image.bytes.replaceSubrange(0..<encoded.count, with: encoded)
        let path = try FormatFixtures.write(image.bytes, name: "own.kdump")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let pages = try FormatFixtures.kdumpfilePages(path, maxPFN: SyntheticKernelCore.maxPFN)
        #expect(pages.count == Int(SyntheticKernelCore.maxPFN))
        for (pfn, page) in pages.enumerated() {
            if SyntheticKernelCore.keptAtLevel31(UInt64(pfn)) {
                #expect(page == SyntheticKernelCore.page(UInt64(pfn), kernelInfo: true), "frame \(pfn)")
            } else {
                #expect(page == nil, "frame \(pfn)")
            }
        }
    }

    @Test("crash finds VMCOREINFO in our files, plain and flattened", .enabled(if: FormatFixtures.hasCrash),
          arguments: [PageCodec.zstd, .zlib])
    func crashJudges(codec: PageCodec) throws {
        let image = try TestKdumpWriter.synthetic(codec: codec, level31: true, shareZeroPages: true)
        let plain = try FormatFixtures.write(image.bytes, name: "own.kdump")
        defer { try? FileManager.default.removeItem(atPath: plain) }
        #expect(try FormatFixtures.crashOSRelease(plain) == "6.1.0-synthetic")
        let stream = FlattenedBuilder.stream([(4096, Array(image.bytes.dropFirst(4096))), (0, Array(image.bytes.prefix(4096)))])
        let flat = try FormatFixtures.write(stream, name: "own.flat")
        defer { try? FileManager.default.removeItem(atPath: flat) }
        #expect(try FormatFixtures.crashOSRelease(flat) == "6.1.0-synthetic")
    }

    @Test("makedumpfile reads our files (refiltering them into new dumps)", .enabled(if: FormatFixtures.hasMakedumpfile),
          arguments: [PageCodec.zlib, .lzo, .none])
    func makedumpfileJudges(codec: PageCodec) throws {
        let image = try TestKdumpWriter.synthetic(codec: codec, shareZeroPages: true)
        let input = try FormatFixtures.write(image.bytes, name: "own.kdump")
        defer { try? FileManager.default.removeItem(atPath: input) }
        let raw = try FormatFixtures.makedumpfile(["-d", "1"], input: input, name: "refiltered.kdump")
        defer { try? FileManager.default.removeItem(atPath: raw) }
        let all = try SyntheticComparison.compare(try KdumpCompressedMemory.open(FilePath(raw)), kernelInfo: true)
        #expect(all.dumped == SyntheticComparison.ramFrames)
        let filtered = try FormatFixtures.makedumpfile(["-c", "-d", "31"], input: input, name: "refiltered31.kdump")
        defer { try? FileManager.default.removeItem(atPath: filtered) }
        let kept = try SyntheticComparison.compare(try KdumpCompressedMemory.open(FilePath(filtered)), kernelInfo: true)
        #expect(kept.dumped == SyntheticComparison.level31Kept)
    }

    // MARK: Hostile input

    static func image(codec: PageCodec = .zstd) throws -> TestKdumpImage {
        try TestKdumpWriter.synthetic(codec: codec, level31: true)
    }

    static func open(_ bytes: [UInt8]) throws(CrashDumpError) -> KdumpCompressedMemory {
        try KdumpCompressedMemory(source: InMemoryCoreSource(bytes))
    }

    /// The first dumped frame whose page data is compressed.
    static func compressedFrame(_ memory: KdumpCompressedMemory) throws -> UInt64 {
        for run in memory.pageFrames {
            for pfn in run where try memory.descriptor(ofPFN: pfn).flags != 0 { return pfn }
        }
        throw CrashDumpError.unsupported("no compressed frame")
    }

    @Test("truncated headers and bitmaps past the end of the file")
    func truncatedFile() throws {
        let image = try Self.image()
        for length in [0, 7, 100, 463, 4096, 4096 + 50] {
            #expect(throws: CrashDumpError.self, "\(length) bytes") { try Self.open(Array(image.bytes.prefix(length))) }
        }
        if case .failure(.truncated(let field, let offset, _, _)) = capture({ () throws(CrashDumpError) in
            try Self.open(Array(image.bytes.prefix(Int(image.geometry.secondBitmapOffset) + 10)))
        }) {
            #expect(field.contains("bitmaps") && offset == image.geometry.firstBitmapOffset)
        } else {
            Issue.record("bitmaps past the end accepted")
        }
        #expect(throws: CrashDumpError.invalidField(field: "signature", offset: 0, value: 0x4e4f_5420_4455_4d50,
                                                    reason: "neither \"KDUMP   \" nor \"DISKDUMP\"")) {
            var bytes = image.bytes
            bytes.replaceSubrange(0..<8, with: Array("NOT DUMP".utf8))
            _ = try Self.open(bytes)
        }
    }

    @Test("a descriptor table cut short reads as incomplete pages, not a failure to open")
    func truncatedDescriptors() throws {
        let image = try Self.image()
        let memory = try Self.open(image.bytes)
        let last = try #require(memory.pageFrames.last?.last)
        let cut = Array(image.bytes.prefix(Int(try #require(image.descriptorOffsets[last])) + 10))
        let truncated = try Self.open(cut)
        let first = try #require(truncated.pageFrames.first?.first)
        #expect(throws: CrashDumpError.self) { try truncated.read(physical: first * 4096, count: 4096) }
        if case .failure(.corruptPage(let pfn, let reason)) = capture({ () throws(CrashDumpError) in try truncated.read(physical: last * 4096, count: 4096) }) {
            #expect(pfn == last && reason.contains("past the end"))
        } else {
            Issue.record("descriptor past the end accepted")
        }
    }

    @Test("bad page descriptors give corruptPage for that frame only")
    func badDescriptors() throws {
        let image = try Self.image()
        let memory = try Self.open(image.bytes)
        let pfn = try Self.compressedFrame(memory)
        let position = try #require(image.descriptorOffsets[pfn])
        let descriptor = try memory.descriptor(ofPFN: pfn)
        let neighbour = try #require(memory.pageFrames.last?.last)

        func expectCorrupt(_ bytes: [UInt8], _ what: String) throws {
            let broken = try Self.open(bytes)
            switch capture({ () throws(CrashDumpError) in try broken.read(physical: pfn * 4096, count: 4096) }) {
            case .failure(.corruptPage(let frame, _)): #expect(frame == pfn, "\(what)")
            case .failure(let error): Issue.record("\(what): \(error)")
            case .success: Issue.record("\(what) accepted")
            }
            // A multi-page read through the bad frame fails too; other frames still read.
            #expect(throws: CrashDumpError.self) { try broken.read(physical: (max(pfn, 1) - 1) * 4096, count: 3 * 4096) }
            #expect(try broken.read(physical: neighbour * 4096, count: 4096)
                    == SyntheticKernelCore.page(neighbour, kernelInfo: true))
        }

        var oversized = image.bytes
        oversized.patch(UInt32(5000), at: position + 8)
        try expectCorrupt(oversized, "pd.size > block size")
        var zeroSize = image.bytes
        zeroSize.patch(UInt32(0), at: position + 8)
        try expectCorrupt(zeroSize, "pd.size 0")
        var pastEnd = image.bytes
        pastEnd.patch(UInt64(image.bytes.count) + 10, at: position)
        try expectCorrupt(pastEnd, "pd.offset past EOF")
        var huge = image.bytes
        huge.patch(UInt64.max - 2, at: position)
        try expectCorrupt(huge, "pd.offset + size overflowing")
        var unwritten = image.bytes
        unwritten.patch(UInt64(0), at: position)
        try expectCorrupt(unwritten, "pd.offset 0 (incomplete)")
        var shortened = image.bytes
        shortened.patch(descriptor.size - 1, at: position + 8)
        try expectCorrupt(shortened, "compressed data cut by one byte")
        var raw = image.bytes
        raw.patch(UInt32(0), at: position + 12)
        try expectCorrupt(raw, "raw page shorter than a block")
        var garbage = image.bytes
        for index in 0..<Int(descriptor.size) { garbage[Int(descriptor.offset) + index] = 0xa5 }
        try expectCorrupt(garbage, "garbage data")

        // A valid zstd frame of the wrong length (a 2 KiB page).
        let short = try #require(try PageCodec.zstd.makeCompressor(pageSize: 2048).compress([UInt8](repeating: 7, count: 2048)))
        #expect(short.count <= Int(descriptor.size))
        var mismatch = image.bytes
        mismatch.replaceSubrange(Int(descriptor.offset)..<Int(descriptor.offset) + short.count, with: short)
        mismatch.patch(UInt32(short.count), at: position + 8)
        if case .failure(.corruptPage(_, let reason)) = capture({ () throws(CrashDumpError) in try Self.open(mismatch).read(physical: pfn * 4096, count: 4096) }) {
            #expect(reason.contains("2048"))
        } else {
            Issue.record("a 2 KiB page accepted")
        }

        var snappy = image.bytes
        snappy.patch(UInt32(0x4), at: position + 12)
        #expect(throws: CrashDumpError.self) { try Self.open(snappy).read(physical: pfn * 4096, count: 4096) }
    }

    @Test("absurd sub-header fields are refused with the field's name and offset")
    func absurdSubHeader() throws {
        let image = try Self.image()
        let block: UInt64 = 4096
        func expectField(_ offset: UInt64, _ value: UInt64, _ name: String) {
            var bytes = image.bytes
            bytes.patch(value, at: block + offset)
            switch capture({ () throws(CrashDumpError) in try Self.open(bytes) }) {
            case .failure(.invalidField(let field, _, _, _)):
                #expect(field == name || field.contains(name), "\(field)")
            case .failure(.truncated(let field, _, _, _)):
                #expect(field.contains(name.replacingOccurrences(of: "offset_", with: "")), "\(field)")
            case .failure(let error):
                Issue.record("\(name): \(error)")
            case .success:
                Issue.record("\(name) = \(value) accepted")
            }
        }
        expectField(48, 1 << 62, "offset_note")
        expectField(48, 0, "offset_note")
        expectField(48, UInt64(image.bytes.count) - 10, "offset_note")
        expectField(56, 1 << 40, "size_note")
        expectField(96, 1 << 40, "max_mapnr_64")
        // VMCOREINFO is read from the notes, but a version 3 dump reads offset_vmcoreinfo.
        var v3 = image.bytes
        v3.patch(Int32(3), at: 8)
        v3.patch(UInt64(1) << 50, at: block + 32)
        #expect(throws: CrashDumpError.self) { try Self.open(v3) }
        // A split range outside max_mapnr.
        var split = image.bytes
        split.patch(Int32(1), at: block + 12)
        split.patch(UInt64(0x10), at: block + 80)
        split.patch(UInt64(0x100000), at: block + 88)
        #expect(throws: CrashDumpError.self) { try Self.open(split) }
    }

    @Test("a VMCOREINFO PAGESIZE other than the block size is refused")
    func pageSizeMismatch() throws {
        var text = SyntheticKernelCore.vmcoreInfoText
        text = text.replacingOccurrences(of: "PAGESIZE=4096", with: "PAGESIZE=8192")
        let notes = ElfNote.encode([VmcoreInfo(parsing: text).note], byteOrder: .little)
        var ram = KdumpBitmap(bitCount: 16)
        ram.insert(0..<16)
        let image = try TestKdumpWriter.write(layout: .init(architecture: .x86_64), maxPFN: 16, ram: ram, dumped: ram,
                                              codec: .zstd, notes: notes) { _ in [UInt8](repeating: 1, count: 4096) }
        #expect(throws: CrashDumpError.self) { try Self.open(image.bytes) }
    }

    @Test("a split part holds only its frames")
    func splitPart() throws {
        var image = try TestKdumpWriter.synthetic(codec: .lzo)
        image.bytes.patch(Int32(1), at: 4096 + 12)
        image.bytes.patch(UInt64(0x100), at: 4096 + 80)
        image.bytes.patch(UInt64(0x800), at: 4096 + 88)
        // The part's descriptors start at its first frame: rebuild this file's table.
        let full = try Self.open(try TestKdumpWriter.synthetic(codec: .lzo).bytes)
        var part = image.bytes
        let table = try (0x100..<0x800).map { try full.descriptor(ofPFN: UInt64($0)) }
        let encoded = KdumpPageDescriptor.encodeTable(table, byteOrder: .little)
        let start = Int(image.geometry.descriptorTableOffset)
        part.replaceSubrange(start..<start + encoded.count, with: encoded)
        let memory = try Self.open(part)
        #expect(memory.splitRange == 0x100..<0x800)
        #expect(memory.pageFrames == [0x100..<0x800])
        #expect(try memory.read(physical: 0x7ff * 4096, count: 4096) == SyntheticKernelCore.page(0x7ff, kernelInfo: true))
        #expect(throws: CrashDumpError.notInDump(address: 0x800 * 4096)) { try memory.read(physical: 0x800 * 4096, count: 1) }
    }

    @Test("makedumpfile's incomplete dump (size limit reached) opens; unwritten pages are corruptPage",
          .enabled(if: FormatFixtures.hasMakedumpfile))
    func makedumpfileIncomplete() throws {
        let path = try FormatFixtures.makedumpfile(["-l", "-d", "1", "-L", "3M"], input: try FormatFixtures.kernelCore.get(),
                                                   name: "limited.kdump", mayFail: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let memory = try KdumpCompressedMemory.open(FilePath(path))
        #expect(memory.isIncomplete)
        var good = 0
        var incomplete = 0
        for run in memory.pageFrames {
            for pfn in run {
                switch capture({ () throws(CrashDumpError) in try memory.read(physical: pfn * 4096, count: 4096) }) {
                case .success(let page):
                    #expect(page == SyntheticKernelCore.page(pfn, kernelInfo: true), "frame 0x\(String(pfn, radix: 16))")
                    good += 1
                case .failure(.corruptPage):
                    incomplete += 1
                case .failure(let error):
                    Issue.record("frame 0x\(String(pfn, radix: 16)): \(error)")
                }
            }
        }
        #expect(good > 100 && incomplete > 100, "\(good) readable, \(incomplete) incomplete")
        // A whole-dump read stops at the first incomplete page with a typed error.
        #expect(throws: CrashDumpError.self) { try memory.read(physical: 0x100000, count: 0xf00000) }
    }

    @Test("the incomplete flag is reported")
    func incomplete() throws {
        var image = try Self.image()
        image.bytes.patch(UInt32(0x20 | 0x8), at: 424)
        let memory = try Self.open(image.bytes)
        #expect(memory.isIncomplete)
        #expect(memory.header.status.contains(.incomplete))
    }

    @Test("fuzzed headers and tables never crash or hang the reader")
    func fuzz() throws {
        var ram = KdumpBitmap(bitCount: 40)
        ram.insert(0..<40)
        var dumped = ram
        dumped.remove(10..<20)
        let notes = ElfNote.encode([VmcoreInfo(parsing: "OSRELEASE=1\nPAGESIZE=4096\n").note], byteOrder: .little)
        let image = try TestKdumpWriter.write(layout: .init(architecture: .x86_64), maxPFN: 40, ram: ram, dumped: dumped,
                                              codec: .zstd, notes: notes, shareZeroPages: true) { pfn in
            pfn % 3 == 0 ? [UInt8](repeating: 0, count: 4096) : [UInt8](repeating: UInt8(pfn), count: 4096)
        }
        let interesting = Array(0..<480) + Array(4096..<4096 + 200)
            + Array(Int(image.geometry.descriptorTableOffset)..<Int(image.geometry.descriptorTableOffset) + 24 * 30)
        var generator = SeededGenerator(seed: 99)
        for _ in 0..<400 {
            var bytes = image.bytes
            for _ in 0..<Int.random(in: 1...6, using: &generator) {
                bytes[interesting.randomElement(using: &generator) ?? 0] = UInt8.random(in: 0...255, using: &generator)
            }
            if Int.random(in: 0..<10, using: &generator) == 0 {
                bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &generator)))
            }
            guard let memory = try? Self.open(bytes) else { continue }
            for pfn in 0..<min(memory.maxPFN, 64) {
                _ = try? memory.read(physical: pfn * UInt64(memory.pageSize), count: memory.pageSize)
            }
            _ = try? memory.read(physical: 0, count: 40 * 4096)
        }
    }
}
