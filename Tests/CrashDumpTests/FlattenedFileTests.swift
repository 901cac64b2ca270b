import CrashDump
import ElfNotes
import Foundation
import KexecCore
import KexecTestSupport
import SystemPackage
import Testing

/// A flattened stream built by hand.
enum FlattenedBuilder {
    static func stream(_ records: [(offset: Int64, data: [UInt8])], end: Bool = true) -> [UInt8] {
        var bytes = FlattenedFormat.encodeHeader()
        for record in records {
            bytes += FlattenedFormat.encodeRecordHeader(offset: record.offset, size: Int64(record.data.count))
            bytes += record.data
        }
        if end { bytes += FlattenedFormat.encodeRecordHeader(offset: -1, size: -1) }
        return bytes
    }

    /// The regular file `records` stand for (later records win, gaps are zeros).
    static func reassembled(_ records: [(offset: Int64, data: [UInt8])]) -> [UInt8] {
        var file: [UInt8] = []
        for record in records where !record.data.isEmpty {
            let end = Int(record.offset) + record.data.count
            if file.count < end { file += [UInt8](repeating: 0, count: end - file.count) }
            file.replaceSubrange(Int(record.offset)..<end, with: record.data)
        }
        return file
    }
}

struct FlattenedFileTests {
    @Test("the header is makedumpfile's: signature, type 1, version 1, big-endian, 4096 bytes")
    func header() throws {
        let header = FlattenedFormat.encodeHeader()
        #expect(header.count == 4096)
        #expect(Array(header[0..<16]) == Array("makedumpfile\0\0\0\0".utf8))
        #expect(Array(header[16..<32]) == [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1])
        #expect(header[32...].allSatisfy { $0 == 0 })
        #expect(FlattenedFormat.encodeRecordHeader(offset: 0x1234, size: 5) == [0, 0, 0, 0, 0, 0, 0x12, 0x34, 0, 0, 0, 0, 0, 0, 0, 5])
        #expect(try FlattenedFormat.decodeHeader(header) == 1)
        #expect(!FlattenedFormat.isFlattened(Array("makedumpfilex".utf8) + [0, 0, 0]))
    }

    @Test("records map logical offsets; gaps read as zeros; later records win")
    func overlapping() throws {
        var records: [(offset: Int64, data: [UInt8])] = [
            (0, [UInt8](repeating: 1, count: 100)),
            (50, [UInt8](repeating: 2, count: 100)),     // overlaps the first
            (300, [UInt8](repeating: 3, count: 10)),     // a gap before it
            (20, [UInt8](repeating: 4, count: 10)),      // inside both, newest
            (1000, []),                                   // empty: nothing
            (0, [UInt8](repeating: 5, count: 5)),
        ]
        records.append((140, [UInt8](repeating: 6, count: 200)))  // covers the end of 2 and the 3s
        let file = try FlattenedFile(base: InMemoryCoreSource(FlattenedBuilder.stream(records)))
        let expected = FlattenedBuilder.reassembled(records)
        #expect(file.isComplete)
        #expect(file.checkInvariants() == nil)
        #expect(file.size == UInt64(expected.count))
        #expect(try file.read(at: 0, count: expected.count) == expected)
        for offset in stride(from: 0, to: expected.count, by: 7) {
            let count = min(23, expected.count - offset)
            #expect(try file.read(at: UInt64(offset), count: count) == Array(expected[offset..<offset + count]))
        }
        #expect(throws: ElfCoreError.self) { try file.read(at: UInt64(expected.count) - 1, count: 2) }
    }

    @Test("many ordered records index without a sweep and read back")
    func manyRecords() throws {
        var records: [(offset: Int64, data: [UInt8])] = []
        for index in 0..<2000 {
            records.append((Int64(index * 64), [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: 64)))
        }
        let file = try FlattenedFile(base: InMemoryCoreSource(FlattenedBuilder.stream(records.reversed())))
        #expect(file.recordCount == 2000)
        #expect(file.checkInvariants() == nil)
        #expect(try file.read(at: 0, count: 128_000) == FlattenedBuilder.reassembled(records))
    }

    @Test("a stream cut short is indexed up to its last byte and says where it stopped")
    func truncated() throws {
        let records: [(offset: Int64, data: [UInt8])] = [(0, [UInt8](repeating: 9, count: 1000)), (5000, [UInt8](repeating: 8, count: 1000))]
        let stream = FlattenedBuilder.stream(records)
        // No end marker.
        let noEnd = try FlattenedFile(base: InMemoryCoreSource(Array(stream.dropLast(16))))
        #expect(noEnd.truncation?.reason == "no end marker")
        #expect(noEnd.size == 6000)
        // Inside a record header.
        let header = try FlattenedFile(base: InMemoryCoreSource(Array(stream.prefix(4096 + 16 + 1000 + 5))))
        #expect(header.truncation?.reason.contains("record header") == true)
        #expect(header.size == 1000)
        // Inside record data: the part that arrived is readable.
        let cut = 4096 + 16 + 1000 + 16 + 300
        let data = try FlattenedFile(base: InMemoryCoreSource(Array(stream.prefix(cut))))
        #expect(data.truncation?.streamOffset == UInt64(cut))
        #expect(data.size == 5300)
        #expect(try data.read(at: 5000, count: 300) == [UInt8](repeating: 8, count: 300))
        #expect(data.checkInvariants() == nil)
        // A size far past the end of the file is the same thing: a record cut short.
        var huge = FlattenedBuilder.stream([(0, [1, 2, 3])], end: false)
        huge += FlattenedFormat.encodeRecordHeader(offset: 10, size: 1 << 60)
        let hugeFile = try FlattenedFile(base: InMemoryCoreSource(huge))
        #expect(hugeFile.truncation != nil)
        #expect(hugeFile.size == 3)
    }

    @Test("negative, overflowing and malformed records are typed errors")
    func hostile() throws {
        func expectInvalid(_ bytes: [UInt8], _ name: String, at offset: UInt64) {
            switch capture({ () throws(CrashDumpError) in try FlattenedFile(base: InMemoryCoreSource(bytes)) }) {
            case .failure(.invalidField(let field, let where_, _, _)):
                #expect(field.contains(name) && where_ == offset, "\(field) at \(String(describing: where_))")
            case .failure(let error):
                Issue.record("\(name): \(error)")
            case .success:
                Issue.record("\(name) accepted")
            }
        }
        var base = FlattenedFormat.encodeHeader()
        base += FlattenedFormat.encodeRecordHeader(offset: 0, size: 4) + [1, 2, 3, 4]
        expectInvalid(base + FlattenedFormat.encodeRecordHeader(offset: -5, size: 4) + [0, 0, 0, 0], "offset", at: 4116)
        expectInvalid(base + FlattenedFormat.encodeRecordHeader(offset: 8, size: -4), "size", at: 4124)
        expectInvalid(base + FlattenedFormat.encodeRecordHeader(offset: -1, size: 4), "offset", at: 4116)
        expectInvalid(base + FlattenedFormat.encodeRecordHeader(offset: Int64.max - 2, size: 10), "size", at: 4124)
        var wrongType = FlattenedFormat.encodeHeader()
        wrongType[23] = 2
        expectInvalid(wrongType, "type", at: 16)
        #expect(throws: CrashDumpError.self) { try FlattenedFile(base: InMemoryCoreSource(Array(base.prefix(100)))) }
        #expect(throws: CrashDumpError.self) { try FlattenedFile(base: InMemoryCoreSource([])) }
    }

    @Test("fuzzed streams index or fail with a typed error, and reads stay inside the file")
    func fuzz() throws {
        var generator = SeededGenerator(seed: 11)
        let records: [(offset: Int64, data: [UInt8])] = (0..<20).map { index in
            (Int64(index * 700 % 5000), [UInt8](repeating: UInt8(index), count: 300 + index * 10))
        }
        let stream = FlattenedBuilder.stream(records)
        for _ in 0..<300 {
            var bytes = stream
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let position = Int.random(in: 4090..<bytes.count, using: &generator)
                bytes[position] = UInt8.random(in: 0...255, using: &generator)
            }
            if Bool.random(using: &generator) { bytes = Array(bytes.prefix(Int.random(in: 4096...bytes.count, using: &generator))) }
            guard let file = try? FlattenedFile(base: InMemoryCoreSource(bytes)) else { continue }
            #expect(file.checkInvariants() == nil)
            if file.size > 0, file.size < 1 << 20 { _ = try file.read(at: 0, count: Int(file.size)) }
        }
    }

    @Test("makedumpfile -F kdump streams read in place, page for page", .enabled(if: FormatFixtures.hasMakedumpfile),
          arguments: [["-F", "-d", "1"], ["-F", "-c", "-d", "0"], ["-F", "-l", "-d", "31"]])
    func makedumpfileFlattenedKdump(_ arguments: [String]) throws {
        let level31 = arguments.contains("31")
        let core = try (level31 ? FormatFixtures.kernelCore : FormatFixtures.plainCore).get()
        let path = try FormatFixtures.makedumpfile(arguments, input: core, name: "dump.flat")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let dump = try Vmcore.open(path: FilePath(path))
        #expect(dump.isFlattened && dump.format == .kdumpCompressed)
        #expect(dump.flattened?.isComplete == true)
        #expect(dump.flattened?.checkInvariants() == nil)
        let outcome = try SyntheticComparison.compare(dump.memory, kernelInfo: level31)
        #expect(outcome.dumped == (level31 ? SyntheticComparison.level31Kept : SyntheticComparison.ramFrames))
    }

    @Test("makedumpfile -F -E (flattened ELF) reads in place", .enabled(if: FormatFixtures.hasMakedumpfile))
    func makedumpfileFlattenedElf() throws {
        let path = try FormatFixtures.makedumpfile(["-F", "-E", "-d", "1"], input: try FormatFixtures.plainCore.get(),
                                                   name: "dump.flatelf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let dump = try Vmcore.open(path: FilePath(path))
        #expect(dump.isFlattened && dump.format == .elf)
        #expect(dump.architecture == .x86_64)
        let outcome = try SyntheticComparison.compare(dump.memory, kernelInfo: false)
        #expect(outcome.dumped == SyntheticComparison.ramFrames)
    }
}
