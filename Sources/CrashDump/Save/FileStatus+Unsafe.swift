import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `fstat(2)` and `isatty(3)` questions the save path asks of its descriptors.
enum FileStatus {
    /// Whether `descriptor` is a block device (writes go to the device; no truncation).
    static func isBlockDevice(_ descriptor: FileDescriptor) -> Bool {
        // Safe: `stat` is a plain C struct filled in by fstat; nothing escapes.
        var status = stat()
        guard fstat(descriptor.rawValue, &status) == 0 else { return false }
        return (status.st_mode & S_IFMT) == S_IFBLK
    }

    /// Whether `descriptor` is a terminal.
    static func isTerminal(_ descriptor: FileDescriptor) -> Bool {
        isatty(descriptor.rawValue) == 1
    }

    /// The size of a regular file, or nil.
    static func regularFileSize(_ descriptor: FileDescriptor) -> UInt64? {
        var status = stat()
        guard fstat(descriptor.rawValue, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return nil }
        return UInt64(status.st_size)
    }
}
