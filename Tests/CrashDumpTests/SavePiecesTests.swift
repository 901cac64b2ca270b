import ElfNotes
import KexecCore
import KexecTestSupport
import Testing
@testable import CrashDump

@Suite("Save building blocks")
struct SavePiecesTests {
    @Test func bitmapRunsMatchAReferenceSet() {
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<200 {
            let base = UInt64(generator.next() % 1000) * 8
            let count = UInt64(generator.next() % 700) + 1
            var bitmap = CycleBitmap(base: base, count: count)
            var reference = Set<UInt64>()
            for _ in 0..<Int(generator.next() % 12) {
                let start = base + generator.next() % count
                let length = generator.next() % 150
                let end = min(start + length, base + count)
                if generator.next() % 3 == 0 {
                    bitmap.remove(start..<end)
                    for pfn in start..<end { reference.remove(pfn) }
                } else {
                    bitmap.insert(start..<end)
                    for pfn in start..<end { reference.insert(pfn) }
                }
            }
            var fromRuns = Set<UInt64>()
            var previousEnd: UInt64? = nil
            bitmap.forEachRun { start, length in
                #expect(length > 0)
                if let previousEnd { #expect(start > previousEnd, "runs must be maximal and ordered") }
                for pfn in start..<start + length { fromRuns.insert(pfn) }
                previousEnd = start + length
            }
            #expect(fromRuns == reference)
            #expect(bitmap.population == UInt64(reference.count))
            for pfn in base..<base + count { #expect(bitmap.contains(pfn) == reference.contains(pfn)) }
        }
    }

    @Test func bitmapBytesAreLeastSignificantBitFirst() {
        var bitmap = CycleBitmap(base: 64, count: 24)
        bitmap.insert(64..<65)      // bit 0 of byte 0
        bitmap.insert(71..<73)      // bit 7 of byte 0, bit 0 of byte 1
        bitmap.insert(87..<88)      // bit 7 of byte 2
        #expect(bitmap.lsbFirstBytes == [0x81, 0x01, 0x80])
    }

    @Test func chunksNeverCrossGapsOrExceedTheLimit() {
        var bitmap = CycleBitmap(base: 0, count: 4096)
        bitmap.insert(10..<1000)
        bitmap.insert(1001..<1003)
        let result = chunks(of: bitmap, limit: 256)
        #expect(result.first == PageChunk(firstPFN: 10, count: 256))
        #expect(result.allSatisfy { $0.count <= 256 })
        #expect(result.reduce(0) { $0 + $1.count } == 992)
        #expect(result.last == PageChunk(firstPFN: 1001, count: 2))
    }

    @Test func segmentsSplitOnlyAtLongExcludedRuns() {
        var builder = ElfSegmentBuilder(splitGap: 4)
        builder.beginRange(at: 100)
        builder.kept(100, count: 10)      // 100..<110
        builder.kept(112, count: 3)       // gap 2: stays in the file
        builder.kept(120, count: 5)       // gap 5: new segment
        builder.extendRange(to: 130)      // excluded tail
        builder.beginRange(at: 200)       // a range with nothing kept
        builder.extendRange(to: 210)
        builder.beginRange(at: 300)
        builder.kept(306, count: 2)       // leading gap 6: a file-less segment first
        builder.extendRange(to: 308)
        let segments = builder.finish(dataOffset: 8192, pageSize: 4096)
        let bounds: [[UInt64]] = segments.map { [$0.start, $0.fileEnd, $0.memoryEnd] }
        let expected: [[UInt64]] = [[100, 115, 120], [120, 125, 130], [200, 200, 210], [300, 300, 306], [306, 308, 308]]
        #expect(bounds == expected)
        let page: UInt64 = 4096
        let offsets: [UInt64] = segments.map(\.fileOffset)
        let expectedOffsets: [UInt64] = [8192, 8192 + 15 * page, 8192 + 20 * page, 8192 + 20 * page, 8192 + 20 * page]
        #expect(offsets == expectedOffsets)
    }

    @Test func progressLineAndEstimate() {
        let progress = SaveProgress(pagesDone: 250, pagesTotal: 1000, bytesRead: 50_000_000, bytesWritten: 4_000_000,
                                    elapsed: .seconds(2))
        #expect(progress.line == "25% 25.0 MB/s ETA 0:06 read 50.0 MB written 4.0 MB")
        let start = SaveProgress(pagesDone: 0, pagesTotal: 10, bytesRead: 0, bytesWritten: 0, elapsed: .zero)
        #expect(start.line == "0% 0.0 MB/s ETA --:-- read 0.0 MB written 0.0 MB")
        let long = SaveProgress(pagesDone: 1, pagesTotal: 4000, bytesRead: 1, bytesWritten: 1, elapsed: .seconds(2))
        #expect(long.line.contains("ETA 2:13:18"))
    }

    @Test func zeroPageDetection() {
        var page = [UInt8](repeating: 0, count: 4096)
        page.withUnsafeBytes { #expect(PageWorkerBuffers.isZero($0)) }
        for position in [0, 7, 8, 63, 64, 4000, 4095] {
            page[position] = 1
            page.withUnsafeBytes { #expect(!PageWorkerBuffers.isZero($0)) }
            page[position] = 0
        }
        var odd = [UInt8](repeating: 0, count: 13)
        odd[12] = 9
        odd.withUnsafeBytes { #expect(!PageWorkerBuffers.isZero($0)) }
    }

    @Test("the kdump sub-header points at the VMCOREINFO descriptor inside the notes", arguments: [ByteOrder.little, .big])
    func vmcoreinfoDescriptor(byteOrder: ByteOrder) {
        let text = Array("OSRELEASE=6.1.0\nPAGESIZE=4096\n".utf8)
        let notes = ElfNote.encode([ElfNote(name: ElfNote.Name.core, type: ElfNote.NoteType.prstatus, descriptor: Array(repeating: 7, count: 336)),
                                    ElfNote(name: ElfNote.Name.vmcoreinfo, type: ElfNote.NoteType.vmcoreinfo, descriptor: text)],
                                   byteOrder: byteOrder)
        let found = KdumpHeaderState.vmcoreinfoDescriptor(in: notes, byteOrder: byteOrder)
        #expect(found?.size == text.count)
        if let found { #expect(Array(notes[found.offset..<found.offset + found.size]) == text) }
        #expect(KdumpHeaderState.vmcoreinfoDescriptor(in: Array(notes.prefix(40)), byteOrder: byteOrder) == nil)
        #expect(KdumpHeaderState.vmcoreinfoDescriptor(in: [], byteOrder: byteOrder) == nil)
    }
}
