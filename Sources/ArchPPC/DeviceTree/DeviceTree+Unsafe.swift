#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Every use of raw pointers and C file calls in the device tree code, each with
/// why it is safe.
enum DeviceTreeUnsafeAccess {
    /// The names in a directory, without "." and "..".
    ///
    /// Safe: each dirent readdir returns is read (its name copied into a Swift
    /// string) before the next readdir call; the stream is closed by `defer` on
    /// every path.
    static func directoryEntries(_ path: String) throws(DeviceTreeDirectoryError) -> [String] {
        guard let stream = opendir(path) else {
            throw DeviceTreeDirectoryError(path: path, reason: .io(operation: "opendir", errno: errno))
        }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// What `lstat` says `path` is.
    ///
    /// Safe: `lstat` writes one `stat` structure into a local variable it is given
    /// the address of for the duration of the call.
    static func kind(of path: String) throws(DeviceTreeDirectoryError) -> DeviceTreeFileKind {
        var status = stat()
        guard lstat(path, &status) == 0 else {
            throw DeviceTreeDirectoryError(path: path, reason: .io(operation: "lstat", errno: errno))
        }
        switch status.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    /// Reads a whole file until end of file, refusing more than `limit` bytes.
    ///
    /// Safe: `read` writes at most `chunk.count` bytes into the pinned chunk; the
    /// descriptor is closed by `defer` on every path.
    static func readFile(_ path: String, limit: Int) throws(DeviceTreeDirectoryError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw DeviceTreeDirectoryError(path: path, reason: .io(operation: "open", errno: errno))
        }
        defer { close(descriptor) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw DeviceTreeDirectoryError(path: path, reason: .io(operation: "read", errno: errno))
            }
            if count == 0 { return result }
            guard result.count + count <= limit else { throw DeviceTreeDirectoryError(path: path, reason: .fileTooLarge(limit: limit)) }
            result.append(contentsOf: chunk[0..<count])
        }
    }
}
