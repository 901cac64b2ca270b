public import SystemPackage

/// Random-access reads of a core file, so a reader takes only the windows it
/// needs (headers, notes, the pages asked for) and a 1.4 GB /proc/vmcore is never
/// loaded whole.
public protocol CoreFileSource: Sendable {
    /// The file's name in errors.
    var name: String { get }
    /// The file's size in bytes.
    var size: UInt64 { get }
    /// Exactly `count` bytes from byte `offset`.
    /// - Throws: ``ElfCoreError/truncated(field:offset:needed:available:)`` when
    ///   the file ends first, ``ElfCoreError/io(path:operation:offset:errno:)``
    ///   when the read fails.
    func read(at offset: UInt64, count: Int) throws(ElfCoreError) -> [UInt8]
}

/// A core file held in memory (tests, small files).
public struct InMemoryCoreSource: CoreFileSource {
    /// The file's bytes.
    public let bytes: [UInt8]
    /// The name used in errors.
    public let name: String

    /// A source over `bytes`, called `name` in errors.
    public init(_ bytes: [UInt8], name: String = "<memory>") {
        self.bytes = bytes
        self.name = name
    }

    /// The number of bytes.
    public var size: UInt64 { UInt64(bytes.count) }

    /// Exactly `count` bytes from `offset`.
    /// - Throws: ``ElfCoreError/truncated(field:offset:needed:available:)`` past the end.
    public func read(at offset: UInt64, count: Int) throws(ElfCoreError) -> [UInt8] {
        guard count >= 0, offset <= size, UInt64(count) <= size - offset else {
            throw .truncated(field: "read", offset: offset, needed: UInt64(max(count, 0)),
                             available: offset <= size ? size - offset : 0)
        }
        let start = Int(offset)
        return Array(bytes[start..<start + count])
    }
}

/// A core file on disk read with `pread` through swift-system's `FileDescriptor`.
/// The descriptor is closed when the source goes away.
public final class FileCoreSource: CoreFileSource {
    /// The file.
    public let path: FilePath
    /// The size found when the file was opened.
    public let size: UInt64
    let descriptor: FileDescriptor

    /// Opens `path` read-only and finds its size (lseek to the end, which procfs
    /// answers for /proc/vmcore).
    /// - Throws: ``ElfCoreError/io(path:operation:offset:errno:)``.
    public init(path: FilePath) throws(ElfCoreError) {
        self.path = path
        do {
            descriptor = try FileDescriptor.open(path, .readOnly, options: [.closeOnExec])
        } catch let errno as Errno {
            throw .io(path: path.string, operation: "open", offset: nil, errno: errno)
        } catch {
            throw .io(path: path.string, operation: "open", offset: nil, errno: .ioError)
        }
        do {
            size = UInt64(try descriptor.seek(offset: 0, from: .end))
        } catch {
            try? descriptor.close()
            throw .io(path: path.string, operation: "seek to the end of", offset: nil, errno: (error as? Errno) ?? .ioError)
        }
    }

    deinit { try? descriptor.close() }

    /// The path, for errors.
    public var name: String { path.string }

    /// Exactly `count` bytes from `offset`, read with `pread` (short reads and
    /// EINTR retried). The corresponding C function is `pread`.
    /// - Throws: ``ElfCoreError``.
    public func read(at offset: UInt64, count: Int) throws(ElfCoreError) -> [UInt8] {
        guard count >= 0, offset <= size, UInt64(count) <= size - offset else {
            throw .truncated(field: "read", offset: offset, needed: UInt64(max(count, 0)),
                             available: offset <= size ? size - offset : 0)
        }
        return try CoreFileAccess.pread(descriptor, path: path, offset: offset, count: count)
    }
}
