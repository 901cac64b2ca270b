public import ElfNotes
public import SystemPackage

/// A dump file on disk (or /proc/vmcore) read with `pread` straight into caller
/// buffers. The descriptor is closed when the last reference goes away; reads
/// from several threads at once are fine (`pread` keeps no file position).
public final class DumpFile: DumpByteSource {
    /// The file.
    public let path: FilePath
    /// The size found when the file was opened (lseek to the end, which procfs
    /// answers for /proc/vmcore).
    public let size: UInt64
    let descriptor: FileDescriptor

    /// Opens `path` read-only.
    /// - Throws: ``CrashDumpError/io(path:operation:offset:errno:)``.
    /// The corresponding C functions are `open` and `lseek`.
    public init(path: FilePath) throws(CrashDumpError) {
        self.path = path
        do {
            descriptor = try FileDescriptor.open(path, .readOnly, options: [.closeOnExec])
        } catch {
            throw .io(path: path.string, operation: "open", offset: nil, errno: (error as? Errno) ?? .ioError)
        }
        do {
            let end = try descriptor.seek(offset: 0, from: .end)
            size = UInt64(max(end, 0))
        } catch {
            try? descriptor.close()
            throw .io(path: path.string, operation: "seek to the end of", offset: nil, errno: (error as? Errno) ?? .ioError)
        }
    }

    deinit { try? descriptor.close() }

    /// The path, for errors.
    public var name: String { path.string }

    /// Exactly `count` bytes from `offset` (`CoreFileSource`, for ElfCore).
    /// - Throws: `ElfCoreError.truncated` past the end, `ElfCoreError.io` when `pread` fails.
    public func read(at offset: UInt64, count: Int) throws(ElfCoreError) -> [UInt8] {
        do {
            return try bytes(at: offset, count: count, field: "read")
        } catch {
            throw ElfCoreError(error)
        }
    }

    /// Fills `buffer` from `offset` with `pread`. The corresponding C function is `pread`.
    /// - Throws: ``CrashDumpError/truncated(field:offset:needed:available:)`` past
    ///   the end, ``CrashDumpError/io(path:operation:offset:errno:)`` when `pread` fails.
    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(CrashDumpError) {
        try checkExtent(field: "read", offset: offset, count: UInt64(buffer.count))
        try FileIO.preadFully(descriptor, name: name, offset: offset, into: buffer)
    }
}

extension DumpFile: MappableByteSource {
    func map(at offset: UInt64, count: Int) -> FileMapping? {
        guard count > 0, (try? checkExtent(field: "map", offset: offset, count: UInt64(count))) != nil else { return nil }
        return FileMapping(descriptor: descriptor, offset: offset, count: count)
    }
}
