public import SystemPackage

/// What ``FlattenedFormat/reassemble(flat:to:inputName:outputName:)`` did.
public struct FlattenedReassembly: Hashable, Sendable {
    /// Records copied (a partial last record counts).
    public var recordCount: Int
    /// Bytes of the flattened stream consumed.
    public var streamBytes: UInt64
    /// Bytes of record data placed (written, or left as holes when zero).
    public var dataBytes: UInt64
    /// The size of the file written.
    public var outputSize: UInt64
    /// Where and why the stream stopped early; `nil` when it had its end marker.
    public var truncation: FlattenedTruncation?

    /// Whether the stream was complete.
    public var isComplete: Bool { truncation == nil }
}

extension FlattenedFormat {
    /// Bytes read from the stream at a time.
    static let reassemblyChunk = 1 << 20

    /// Rebuilds the regular file from a flattened stream, like `makedumpfile -R`.
    ///
    /// Reads `input` front to back (a pipe is fine) with a 1 MiB buffer and writes
    /// `output` (which must be seekable; it is truncated first) with `pwrite`.
    /// Zero blocks that land past everything written so far are skipped, leaving
    /// holes, and the file is extended to its full size at the end, so a dump
    /// stays sparse. A stream that stops early is not an error: the file holds
    /// everything that arrived and ``FlattenedReassembly/truncation`` says where it stopped.
    /// - Throws: ``CrashDumpError/invalidField(field:offset:value:reason:)`` for a
    ///   bad header or a record with a negative or overflowing offset or size;
    ///   ``CrashDumpError/truncated(field:offset:needed:available:)`` when not even
    ///   the header arrived; I/O errors (ENOSPC on `output` included).
    /// The corresponding C functions are `read`, `pwrite` and `ftruncate`.
    public static func reassemble(flat input: FileDescriptor, to output: FileDescriptor, inputName: String = "<stdin>",
                                  outputName: String = "<output>") throws(CrashDumpError) -> FlattenedReassembly {
        var stream = StreamInput(descriptor: input, name: inputName, chunk: reassemblyChunk)
        let header = try stream.take(headerSize)
        _ = try decodeHeader(header)
        guard header.count == headerSize else {
            throw .truncated(field: "flattened header", offset: 0, needed: UInt64(headerSize), available: UInt64(header.count))
        }
        do {
            try output.resize(to: 0)
        } catch {
            throw .io(path: outputName, operation: "truncate", offset: nil, errno: (error as? Errno) ?? .ioError)
        }
        var report = FlattenedReassembly(recordCount: 0, streamBytes: 0, dataBytes: 0, outputSize: 0, truncation: nil)
        var highWater: UInt64 = 0
        records: while true {
            let position = stream.position
            let raw = try stream.take(recordHeaderSize)
            guard raw.count == recordHeaderSize else {
                report.truncation = FlattenedTruncation(
                    streamOffset: stream.position,
                    reason: raw.isEmpty ? "no end marker" : "record header at \(position) cut short after \(raw.count) bytes")
                break
            }
            let record = RecordHeader(raw)
            try record.validate(at: position)
            if record.isEnd { break }
            var logical = UInt64(record.offset)
            var left = UInt64(record.size)
            if left > 0 { report.recordCount += 1 }
            while left > 0 {
                let piece = try stream.next(max: Int(min(left, UInt64(reassemblyChunk))))
                guard !piece.isEmpty else {
                    report.truncation = FlattenedTruncation(
                        streamOffset: stream.position,
                        reason: "record at \(position) (\(record.size) bytes for offset \(record.offset)) cut short after \(UInt64(record.size) - left) bytes")
                    break records
                }
                try place(piece, at: logical, highWater: &highWater, output: output, name: outputName)
                logical += UInt64(piece.count)
                left -= UInt64(piece.count)
                report.dataBytes += UInt64(piece.count)
            }
        }
        report.streamBytes = stream.position
        do {
            try output.resize(to: Int64(highWater))
        } catch {
            throw .io(path: outputName, operation: "set the size of", offset: highWater, errno: (error as? Errno) ?? .ioError)
        }
        report.outputSize = highWater
        return report
    }

    /// Rebuilds `outputPath` (created or truncated, mode 0600) from the flattened
    /// file or FIFO at `inputPath`.
    /// - Throws: as ``reassemble(flat:to:inputName:outputName:)``, and I/O errors opening either file.
    public static func reassemble(flat inputPath: FilePath, to outputPath: FilePath) throws(CrashDumpError) -> FlattenedReassembly {
        let input: FileDescriptor
        do {
            input = try FileDescriptor.open(inputPath, .readOnly, options: [.closeOnExec])
        } catch {
            throw .io(path: inputPath.string, operation: "open", offset: nil, errno: (error as? Errno) ?? .ioError)
        }
        defer { try? input.close() }
        let output: FileDescriptor
        do {
            output = try FileDescriptor.open(outputPath, .writeOnly, options: [.create, .truncate, .closeOnExec],
                                             permissions: [.ownerReadWrite])
        } catch {
            throw .io(path: outputPath.string, operation: "create", offset: nil, errno: (error as? Errno) ?? .ioError)
        }
        defer { try? output.close() }
        return try reassemble(flat: input, to: output, inputName: inputPath.string, outputName: outputPath.string)
    }

    /// Writes `piece` at `offset`, skipping 4 KiB zero blocks past `highWater`
    /// (never written, so already zero once the file is extended).
    static func place(_ piece: ArraySlice<UInt8>, at offset: UInt64, highWater: inout UInt64, output: FileDescriptor,
                      name: String) throws(CrashDumpError) {
        let block = 4096
        try RawMemory.view(Array(piece)) { raw throws(CrashDumpError) in
            var start = 0
            while start < raw.count {
                let blockOffset = offset + UInt64(start)
                var end = min(start + block, raw.count)
                let fresh = blockOffset >= highWater
                if fresh && RawMemory.isZero(RawMemory.slice(raw, start..<end)) {
                    start = end
                    continue
                }
                // Gather following blocks that must be written too, for one pwrite.
                while end < raw.count {
                    let nextEnd = min(end + block, raw.count)
                    if offset + UInt64(end) >= highWater && RawMemory.isZero(RawMemory.slice(raw, end..<nextEnd)) { break }
                    end = nextEnd
                }
                try FileIO.pwriteFully(output, name: name, offset: blockOffset, RawMemory.slice(raw, start..<end))
                start = end
            }
        }
        highWater = max(highWater, offset + UInt64(piece.count))
    }
}

/// Sequential reads of a stream through a buffer.
struct StreamInput {
    let descriptor: FileDescriptor
    let name: String
    let chunk: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    /// Stream bytes handed out so far.
    private(set) var position: UInt64 = 0

    init(descriptor: FileDescriptor, name: String, chunk: Int) {
        self.descriptor = descriptor
        self.name = name
        self.chunk = chunk
    }

    /// Up to `max` bytes: what the buffer holds, refilled when empty; empty at the end.
    mutating func next(max: Int) throws(CrashDumpError) -> ArraySlice<UInt8> {
        if start == buffer.count {
            guard !atEnd else { return [] }
            var fresh = [UInt8](repeating: 0, count: chunk)
            let readPosition = position
            let descriptor = descriptor
            let name = name
            var got = 0
            try RawMemory.fill(&fresh) { raw throws(CrashDumpError) in
                got = try FileIO.readUpTo(descriptor, name: name, position: readPosition, into: raw)
            }
            if got < chunk { atEnd = true }
            fresh.removeLast(chunk - got)
            buffer = fresh
            start = 0
            if got == 0 { return [] }
        }
        let count = min(max, buffer.count - start)
        defer {
            start += count
            position += UInt64(count)
        }
        return buffer[start..<start + count]
    }

    /// Exactly `count` bytes, or fewer when the stream ends first.
    mutating func take(_ count: Int) throws(CrashDumpError) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(count)
        while result.count < count {
            let piece = try next(max: count - result.count)
            if piece.isEmpty { break }
            result.append(contentsOf: piece)
        }
        return result
    }
}
