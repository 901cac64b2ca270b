import CrashDump
import Foundation
import KexecCore
import SystemPackage
import Testing
#if canImport(Glibc)
import Glibc
#endif

struct FlattenedReassemblerTests {
    static func reassemble(_ stream: [UInt8]) throws -> (FlattenedReassembly, [UInt8], String) {
        let input = try FormatFixtures.write(stream, name: "in.flat")
        defer { try? FileManager.default.removeItem(atPath: input) }
        let output = FormatFixtures.path("out.bin")
        let report = try FlattenedFormat.reassemble(flat: FilePath(input), to: FilePath(output))
        return (report, try FormatFixtures.read(output), output)
    }

    @Test("overlapping, out-of-order and gapped records give the same file as the model")
    func model() throws {
        let records: [(offset: Int64, data: [UInt8])] = [
            (8192, [UInt8](repeating: 1, count: 5000)),
            (0, [UInt8](repeating: 2, count: 100)),
            (8000, [UInt8](repeating: 0, count: 1000)),      // zeros over written data must be written
            (20_000, [UInt8](repeating: 0, count: 10_000)),  // trailing zeros: a hole, but the size counts
        ]
        let (report, bytes, _) = try Self.reassemble(FlattenedBuilder.stream(records))
        #expect(report.isComplete && report.recordCount == 4)
        #expect(bytes == FlattenedBuilder.reassembled(records))
        #expect(report.outputSize == 30_000)
    }

    @Test("zero blocks become holes", .enabled(if: FileManager.default.fileExists(atPath: "/tmp")))
    func sparse() throws {
        var data = [UInt8](repeating: 0, count: 8 << 20)
        data[0] = 1
        data[data.count - 1] = 2
        let (_, bytes, path) = try Self.reassemble(FlattenedBuilder.stream([(0, data)]))
        #expect(bytes == data)
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(Int(info.st_blocks) * 512 < data.count / 2, "\(info.st_blocks) blocks allocated")
    }

    @Test("a truncated stream writes what arrived and reports where it stopped")
    func truncated() throws {
        let records: [(offset: Int64, data: [UInt8])] = [(0, [UInt8](repeating: 3, count: 3000)), (10_000, [UInt8](repeating: 4, count: 3000))]
        let stream = FlattenedBuilder.stream(records)
        let cut = 4096 + 16 + 3000 + 16 + 1234
        let (report, bytes, _) = try Self.reassemble(Array(stream.prefix(cut)))
        #expect(!report.isComplete)
        #expect(report.truncation?.streamOffset == UInt64(cut))
        #expect(report.streamBytes == UInt64(cut))
        #expect(bytes.count == 10_000 + 1234)
        #expect(Array(bytes[10_000...]) == [UInt8](repeating: 4, count: 1234))
        let (noEnd, _, _) = try Self.reassemble(Array(stream.dropLast(16)))
        #expect(noEnd.truncation?.reason == "no end marker")
    }

    @Test("hostile records are refused with the stream offset")
    func hostile() throws {
        var stream = FlattenedFormat.encodeHeader()
        stream += FlattenedFormat.encodeRecordHeader(offset: 0, size: -7)
        #expect(throws: CrashDumpError.invalidField(field: "flattened record size", offset: 4104,
                                                    value: UInt64(bitPattern: -7), reason: "negative")) {
            try Self.reassemble(stream)
        }
        #expect(throws: CrashDumpError.self) { try Self.reassemble(Array("makedumpfile".utf8)) }
        #expect(throws: CrashDumpError.self) { try Self.reassemble([UInt8](repeating: 0, count: 5000)) }
    }

    @Test("reads the stream from a pipe")
    func pipe() throws {
        let records: [(offset: Int64, data: [UInt8])] = [(0, [UInt8](repeating: 5, count: 3 << 20)), (100, [9, 9])]
        let stream = FlattenedBuilder.stream(records)
        let (reader, writer) = try FileDescriptor.pipe()
        let feeder = Thread {
            _ = try? stream.withUnsafeBytes { try writer.writeAll($0) }
            try? writer.close()
        }
        feeder.start()
        let outputPath = FormatFixtures.path("piped.bin")
        let output = try FileDescriptor.open(FilePath(outputPath), .readWrite, options: [.create, .truncate],
                                             permissions: [.ownerReadWrite])
        let report = try FlattenedFormat.reassemble(flat: reader, to: output)
        try output.close()
        try reader.close()
        #expect(report.isComplete)
        #expect(try FormatFixtures.read(outputPath) == FlattenedBuilder.reassembled(records))
    }

    @Test("our reassembly equals makedumpfile -R's", .enabled(if: FormatFixtures.hasMakedumpfile))
    func matchesMakedumpfile() throws {
        let flat = try FormatFixtures.makedumpfile(["-F", "-c", "-d", "31"], input: try FormatFixtures.kernelCore.get(),
                                                   name: "dump.flat")
        defer { try? FileManager.default.removeItem(atPath: flat) }
        let theirs = try FormatFixtures.makedumpfileReassemble(flat, name: "theirs.kdump")
        defer { try? FileManager.default.removeItem(atPath: theirs) }
        let ours = FormatFixtures.path("ours.kdump")
        let report = try FlattenedFormat.reassemble(flat: FilePath(flat), to: FilePath(ours))
        #expect(report.isComplete)
        #expect(try FormatFixtures.read(ours) == FormatFixtures.read(theirs))
        // The in-place reader agrees with the reassembled file.
        let inPlace = try FlattenedFile.open(FilePath(flat))
        #expect(try inPlace.read(at: 0, count: Int(inPlace.size)) == FormatFixtures.read(ours))
    }
}
