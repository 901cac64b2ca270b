import CrashDump
import Foundation
import KexecCore
import SystemPackage
import Testing
#if canImport(Glibc)
import Glibc
#endif

struct FlattenedStreamWriterTests {
    static func temporary(_ name: String) throws -> FileDescriptor {
        try FileDescriptor.open(FilePath(FormatFixtures.path(name)), .readWrite, options: [.create, .truncate],
                                permissions: [.ownerReadWrite])
    }

    @Test("records and the end marker go out as makedumpfile writes them")
    func encoding() throws {
        let path = FormatFixtures.path("stream.flat")
        let descriptor = try FileDescriptor.open(FilePath(path), .writeOnly, options: [.create, .truncate],
                                                 permissions: [.ownerReadWrite])
        let writer = try FlattenedStreamWriter(descriptor: descriptor, name: path)
        try writer.write([1, 2, 3], at: 0x10)
        try writer.write([], at: 0x99)                   // nothing
        let large = [UInt8](repeating: 7, count: 100_000) // header and data in two writes
        try writer.write(large, at: 0x2000)
        try writer.finish()
        #expect(throws: CrashDumpError.self) { try writer.write([1], at: 0) }
        try descriptor.close()
        let expected = FlattenedBuilder.stream([(0x10, [1, 2, 3]), (0x2000, large)])
        #expect(try FormatFixtures.read(path) == expected)
        #expect(writer.streamOffset == UInt64(expected.count))
        #expect(writer.recordCount == 2)
    }

    @Test("a full device is ENOSPC, typed", .enabled(if: FileManager.default.fileExists(atPath: "/dev/full")))
    func noSpace() throws {
        let full = try FileDescriptor.open("/dev/full", .writeOnly)
        defer { try? full.close() }
        do {
            _ = try FlattenedStreamWriter(descriptor: full, name: "/dev/full")
            Issue.record("writing to /dev/full succeeded")
        } catch {
            #expect(error.isNoSpace, "\(error)")
        }
    }

    @Test("a reader that went away is EPIPE, typed")
    func brokenPipe() throws {
        signal(SIGPIPE, SIG_IGN)
        let (reader, writerEnd) = try FileDescriptor.pipe()
        defer { try? writerEnd.close() }
        let writer = try FlattenedStreamWriter(descriptor: writerEnd, name: "pipe")
        try reader.close()
        do {
            try writer.write([UInt8](repeating: 1, count: 70_000), at: 0)
            Issue.record("writing to a closed pipe succeeded")
        } catch {
            #expect(error.isBrokenPipe, "\(error)")
            if case .io(_, _, let offset, _) = error { #expect(offset == 4096) }
        }
    }

    @Test("makedumpfile -R reassembles our stream into the original file", .enabled(if: FormatFixtures.hasMakedumpfile))
    func makedumpfileReassembles() throws {
        let image = try TestKdumpWriter.synthetic(codec: .zstd, level31: true)
        let path = FormatFixtures.path("own.flat")
        let descriptor = try FileDescriptor.open(FilePath(path), .writeOnly, options: [.create, .truncate],
                                                 permissions: [.ownerReadWrite])
        let writer = try FlattenedStreamWriter(descriptor: descriptor, name: path)
        // Out of order, in uneven pieces, as a pipelined writer would send them.
        let bytes = image.bytes
        let cut = [0, 4096, 9000, 70_000, 500_000, bytes.count]
        for index in (0..<cut.count - 1).reversed() {
            try writer.write(Array(bytes[cut[index]..<cut[index + 1]]), at: UInt64(cut[index]))
        }
        try writer.finish()
        try descriptor.close()
        let output = try FormatFixtures.makedumpfileReassemble(path, name: "own.kdump")
        defer { try? FileManager.default.removeItem(atPath: output) }
        #expect(try FormatFixtures.read(output) == bytes)
        // And our reader reads the stream in place.
        let dump = try Vmcore.open(path: FilePath(path))
        #expect(dump.isFlattened && dump.format == .kdumpCompressed)
        #expect(try SyntheticComparison.compare(dump.memory, kernelInfo: true).dumped == SyntheticComparison.level31Kept)
    }
}
