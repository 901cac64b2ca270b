public import SystemPackage

/// Writes a flattened stream (``FlattenedFormat``) to a pipe, socket or file:
/// the header when made, one record per ``write(_:at:)``, the end marker on
/// ``finish()``. Short writes and EINTR are retried; a reader that went away
/// (EPIPE, when SIGPIPE is ignored) and a full device (ENOSPC) come back as
/// ``CrashDumpError/io(path:operation:offset:errno:)`` with that errno (see
/// ``CrashDumpError/isBrokenPipe`` and ``CrashDumpError/isNoSpace``) and the
/// stream offset reached.
///
/// For one thread: a dump writer that computes pages on several threads
/// serializes its writes here.
public final class FlattenedStreamWriter {
    /// Where the stream goes (not closed by the writer).
    public let descriptor: FileDescriptor
    /// The name used in errors.
    public let name: String
    /// Bytes of stream written so far (header, record headers and data).
    public private(set) var streamOffset: UInt64 = 0
    /// Records written.
    public private(set) var recordCount = 0
    /// Whether the end marker was written.
    public private(set) var isFinished = false

    /// Records up to this size go out with their header in one `write`.
    static let coalesceLimit = 64 << 10

    /// Starts a stream on `descriptor` by writing the 4096-byte header.
    /// - Throws: ``CrashDumpError/io(path:operation:offset:errno:)``.
    /// The corresponding C function is `write`.
    public init(descriptor: FileDescriptor, name: String = "<stream>") throws(CrashDumpError) {
        self.descriptor = descriptor
        self.name = name
        try send(FlattenedFormat.encodeHeader())
    }

    /// Writes `bytes` as a record for logical offset `offset` (nothing for no bytes:
    /// makedumpfile -R would take a zero-size record for the end).
    /// - Throws: ``CrashDumpError/invalidField(field:offset:value:reason:)`` after
    ///   ``finish()`` or for an offset past 2^63; I/O errors as above.
    public func write(_ bytes: [UInt8], at offset: UInt64) throws(CrashDumpError) {
        try RawMemory.view(bytes) { raw throws(CrashDumpError) in try write(raw, at: offset) }
    }

    /// Writes the bytes of `buffer` as a record for logical offset `offset`.
    /// - Throws: as ``write(_:at:)``.
    public func write(_ buffer: UnsafeRawBufferPointer, at offset: UInt64) throws(CrashDumpError) {
        guard !isFinished else {
            throw .invalidField(field: "flattened stream", offset: streamOffset, value: offset, reason: "written after its end marker")
        }
        guard !buffer.isEmpty else { return }
        guard offset <= UInt64(Int64.max) - UInt64(buffer.count) else {
            throw .invalidField(field: "flattened record offset", offset: streamOffset, value: offset,
                                reason: "offset + size passes 2^63")
        }
        var header = FlattenedFormat.encodeRecordHeader(offset: Int64(offset), size: Int64(buffer.count))
        if buffer.count <= Self.coalesceLimit {
            header.append(contentsOf: buffer)
            try send(header)
        } else {
            try send(header)
            try FileIO.writeFully(descriptor, name: name, position: &streamOffset, buffer)
        }
        recordCount += 1
    }

    /// Writes the end marker. Further writes throw.
    /// - Throws: I/O errors as above.
    public func finish() throws(CrashDumpError) {
        guard !isFinished else { return }
        try send(FlattenedFormat.encodeRecordHeader(offset: FlattenedFormat.endMarker, size: FlattenedFormat.endMarker))
        isFinished = true
    }

    private func send(_ bytes: [UInt8]) throws(CrashDumpError) {
        try RawMemory.view(bytes) { raw throws(CrashDumpError) in
            try FileIO.writeFully(descriptor, name: name, position: &streamOffset, raw)
        }
    }
}

@available(*, unavailable, message: "a FlattenedStreamWriter is for one thread")
extension FlattenedStreamWriter: Sendable {}
