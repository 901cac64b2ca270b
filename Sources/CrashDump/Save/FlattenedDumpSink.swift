public import SystemPackage

/// A dump written as a makedumpfile flattened stream: every positioned write
/// becomes a record, so the kdump writer's out-of-order writes (bitmaps, then
/// data and descriptors, the header again at the end) travel through a pipe;
/// `makedumpfile -R` or `vmcore-dump reassemble` applies them in order.
public final class FlattenedDumpSink: DumpSink {
    let writer: FlattenedStreamWriter

    public var name: String { writer.name }
    public var isSeekable: Bool { true }
    public var unwrittenBytesReadAsZero: Bool { true }

    /// Starts a stream on `descriptor` (written, not closed).
    /// - Throws: ``CrashDumpError/io(path:operation:offset:errno:)``.
    public init(descriptor: FileDescriptor, name: String) throws(CrashDumpError) {
        writer = try FlattenedStreamWriter(descriptor: descriptor, name: name)
    }

    public func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(CrashDumpError) {
        try writer.write(bytes, at: offset)
    }

    /// One record for all pieces (their concatenation), not one per piece.
    public func write(gathering pieces: [UnsafeRawBufferPointer], at offset: UInt64) throws(CrashDumpError) {
        var joined: [UInt8] = []
        joined.reserveCapacity(pieces.reduce(0) { $0 + $1.count })
        for piece in pieces { joined.append(contentsOf: piece) }
        try write(joined, at: offset)
    }

    /// Writes the end marker.
    public func finish(size: UInt64) throws(CrashDumpError) {
        try writer.finish()
    }
}
