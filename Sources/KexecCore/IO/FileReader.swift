public import SystemPackage

/// A file that could not be read: the path, the operation and the errno.
public struct FileReadError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file.
    public let path: FilePath
    /// "open", "read", "stat".
    public let operation: String
    /// The errno the kernel returned.
    public let errno: Errno

    public init(path: FilePath, operation: String, errno: Errno) {
        self.path = path
        self.operation = operation
        self.errno = errno
    }

    public var description: String { "cannot \(operation) \(path): \(errno)" }
}

/// Whole-file reads for the small text files of /proc and /sys, and for kernel
/// images and initrds.
public enum FileReader {
    /// Reads the whole file, however its size is reported (procfs and sysfs files
    /// report 0 or a page size), refusing files larger than `limit` bytes.
    ///
    /// - Throws: ``FileReadError``, or ``FileTooLargeError`` past `limit`.
    public static func readAll(_ path: FilePath, limit: Int = 1 << 32) throws -> [UInt8] {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(path, .readOnly, options: [.closeOnExec])
        } catch let errno as Errno {
            throw FileReadError(path: path, operation: "open", errno: errno)
        }
        defer { try? fd.close() }
        return try readAll(fd, path: path, limit: limit)
    }

    /// Reads from `fd` until end of file. `path` only names the file in errors.
    public static func readAll(_ fd: FileDescriptor, path: FilePath, limit: Int = 1 << 32) throws -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count: Int
            do {
                // Safe: the buffer pointer is used only inside the closure, and
                // read(into:) writes at most chunk.count bytes into it.
                count = try chunk.withUnsafeMutableBytes { try fd.read(into: $0, retryOnInterrupt: true) }
            } catch let errno as Errno {
                throw FileReadError(path: path, operation: "read", errno: errno)
            }
            if count == 0 { return result }
            guard result.count + count <= limit else { throw FileTooLargeError(path: path, limit: limit) }
            result.append(contentsOf: chunk[0..<count])
            if chunk.count < 1 << 22 && result.count >= chunk.count * 4 {
                chunk = [UInt8](repeating: 0, count: chunk.count * 4)
            }
        }
    }

    /// Reads at most the first `count` bytes of a file (for headers of huge or
    /// unbounded files such as /proc/kcore).
    public static func readPrefix(_ path: FilePath, count: Int) throws -> [UInt8] {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(path, .readOnly, options: [.closeOnExec])
        } catch let errno as Errno {
            throw FileReadError(path: path, operation: "open", errno: errno)
        }
        defer { try? fd.close() }
        var result = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got: Int
            do {
                // Safe: the buffer pointer is used only inside the closure, and
                // read(into:) writes at most the slice's length.
                got = try result.withUnsafeMutableBytes { raw in
                    try fd.read(fromAbsoluteOffset: Int64(filled), into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]),
                                retryOnInterrupt: true)
                }
            } catch let errno as Errno {
                throw FileReadError(path: path, operation: "read", errno: errno)
            }
            if got == 0 { break }
            filled += got
        }
        return Array(result[0..<filled])
    }

    /// Reads a small text file (sysfs attribute, /proc/cmdline) as UTF-8.
    public static func readText(_ path: FilePath, limit: Int = 1 << 20) throws -> String {
        String(decoding: try readAll(path, limit: limit), as: UTF8.self)
    }
}

/// A file larger than the caller allowed.
public struct FileTooLargeError: Error, Hashable, Sendable, CustomStringConvertible {
    public let path: FilePath
    public let limit: Int
    public var description: String { "\(path) is larger than \(limit) bytes" }
}
