public import SystemPackage

/// A dump written with `pwrite` to a regular file or a block device.
public final class FileDumpSink: DumpSink {
    /// The output path.
    public let path: FilePath
    /// The open descriptor; closed when the sink goes away if the sink opened it.
    public let descriptor: FileDescriptor
    private let ownsDescriptor: Bool
    private let isRegularFile: Bool

    public var name: String { path.string }
    public var isSeekable: Bool { true }
    public var unwrittenBytesReadAsZero: Bool { isRegularFile }

    /// Creates (or truncates) `path` for writing, mode 0600: a dump holds kernel memory.
    /// A block device is opened without truncation.
    /// - Throws: ``CrashDumpError/io(path:operation:offset:errno:)``.
    public init(creating path: FilePath) throws(CrashDumpError) {
        self.path = path
        let regular = !FileDumpSink.isBlockDevice(path)
        do {
            descriptor = try FileDescriptor.open(
                path, .writeOnly, options: regular ? [.create, .truncate, .closeOnExec] : [.closeOnExec],
                permissions: [.ownerReadWrite])
        } catch {
            throw .io(path: path.string, operation: "create", offset: nil, errno: (error as? Errno) ?? .ioError)
        }
        ownsDescriptor = true
        isRegularFile = regular
    }

    /// A sink over an open descriptor (not closed by the sink).
    public init(descriptor: FileDescriptor, name: String) {
        path = FilePath(name)
        self.descriptor = descriptor
        ownsDescriptor = false
        isRegularFile = true
    }

    deinit {
        if ownsDescriptor { try? descriptor.close() }
    }

    public func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(CrashDumpError) {
        var done = 0
        while done < bytes.count {
            let position = offset + UInt64(done)
            do {
                let written = try descriptor.write(toAbsoluteOffset: Int64(position),
                                                   UnsafeRawBufferPointer(rebasing: bytes[done...]),
                                                   retryOnInterrupt: true)
                // A zero-byte write on a non-empty buffer means the device is full.
                guard written > 0 else { throw Errno.noSpace }
                done += written
            } catch {
                throw .io(path: path.string, operation: "write", offset: position, errno: (error as? Errno) ?? .ioError)
            }
        }
    }

    /// One `pwritev` per up to 1024 pieces; short writes continue where they stopped.
    public func write(gathering pieces: [UnsafeRawBufferPointer], at offset: UInt64) throws(CrashDumpError) {
        try FileIO.pwritevFully(descriptor, name: path.string, offset: offset, pieces)
    }

    public func finish(size: UInt64) throws(CrashDumpError) {
        guard isRegularFile else { return }
        do {
            try descriptor.resize(to: Int64(size), retryOnInterrupt: true)
        } catch {
            throw .io(path: path.string, operation: "set the size of", offset: size, errno: (error as? Errno) ?? .ioError)
        }
    }

    static func isBlockDevice(_ path: FilePath) -> Bool {
        guard let descriptor = try? FileDescriptor.open(path, .readOnly, options: [.closeOnExec, .nonBlocking]) else {
            return false
        }
        defer { try? descriptor.close() }
        return FileStatus.isBlockDevice(descriptor)
    }
}
