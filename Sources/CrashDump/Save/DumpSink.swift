/// Where a dump's bytes go. Writers address the output by file offset, so one
/// writer serves a regular file or block device (positioned writes) and a
/// flattened stream on a pipe (each write becomes an offset-tagged record).
public protocol DumpSink: AnyObject {
    /// The output's name in errors and messages.
    var name: String { get }
    /// Whether bytes already written can be overwritten later (a file: yes; a
    /// flattened stream: also yes, a later record wins when it is reassembled).
    var isSeekable: Bool { get }
    /// Whether bytes never written read back as zeros (a regular file, or a
    /// flattened stream reassembled into one); false for block devices.
    var unwrittenBytesReadAsZero: Bool { get }
    /// Writes all of `bytes` at byte `offset` of the output.
    /// - Throws: ``CrashDumpError/io(path:operation:offset:errno:)`` (ENOSPC, EPIPE, EIO ...).
    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(CrashDumpError)
    /// Writes `pieces` one after another from byte `offset`, as one write of their
    /// concatenation (`pwritev` on a file: page data goes out without being
    /// gathered into a staging buffer first). The default writes each piece in turn.
    /// - Throws: as ``write(_:at:)``.
    func write(gathering pieces: [UnsafeRawBufferPointer], at offset: UInt64) throws(CrashDumpError)
    /// Makes the output `size` bytes long where the format needs the exact size
    /// (a regular file whose tail was never written); a no-op for streams and devices.
    func finish(size: UInt64) throws(CrashDumpError)
}

extension DumpSink {
    public func write(gathering pieces: [UnsafeRawBufferPointer], at offset: UInt64) throws(CrashDumpError) {
        var position = offset
        for piece in pieces {
            try write(piece, at: position)
            position += UInt64(piece.count)
        }
    }

    /// Asks the output to allocate `[offset, offset + count)` now, so that later
    /// writes there cannot fail for lack of space (the page descriptors of a
    /// kdump file). Best effort; the default does nothing.
    public func reserve(from offset: UInt64, count: UInt64) {}

    /// Writes `bytes` at `offset`.
    public func write(_ bytes: [UInt8], at offset: UInt64) throws(CrashDumpError) {
        var failure: CrashDumpError?
        bytes.withUnsafeBytes { buffer in
            do throws(CrashDumpError) { try write(buffer, at: offset) } catch { failure = error }
        }
        if let failure { throw failure }
    }
}
