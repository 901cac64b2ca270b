/// What a directory entry is, as `lstat` sees it (symbolic links are not followed).
public enum DeviceTreeFileKind: Hashable, Sendable {
    /// A regular file: a property.
    case file
    /// A directory: a node.
    case directory
    /// Anything else (symbolic link, device, socket): ignored by the reader.
    case other
}

/// One entry of a directory.
public struct DeviceTreeDirectoryEntry: Hashable, Sendable {
    /// The entry's name (never "." or "..").
    public var name: String
    /// What it is.
    public var kind: DeviceTreeFileKind

    /// An entry called `name` of the given kind.
    public init(name: String, kind: DeviceTreeFileKind) {
        self.name = name
        self.kind = kind
    }
}

/// The file system seam of ``DeviceTreeDirectoryReader``: the two operations it
/// needs, so tests feed an in-memory tree (``InMemoryDeviceTreeFileSystem``) and
/// the real reader uses ``LinuxDeviceTreeFileSystem``.
public protocol DeviceTreeFileSystem: Sendable {
    /// The entries of the directory at `path`, without "." and "..", in any order.
    /// - Throws: ``DeviceTreeDirectoryError`` naming the path.
    func entries(ofDirectory path: String) throws(DeviceTreeDirectoryError) -> [DeviceTreeDirectoryEntry]

    /// The whole contents of the regular file at `path`.
    /// - Throws: ``DeviceTreeDirectoryError`` naming the path, with
    ///   ``DeviceTreeDirectoryError/Reason/fileTooLarge(limit:)`` past `limit` bytes.
    func contents(ofFile path: String, limit: Int) throws(DeviceTreeDirectoryError) -> [UInt8]
}

/// A file system held in memory: files with their bytes and the directories that
/// contain them, addressed by absolute paths.
public struct InMemoryDeviceTreeFileSystem: DeviceTreeFileSystem, Hashable {
    /// Every regular file, by absolute path ("/proc/device-tree/chosen/bootargs").
    public var files: [String: [UInt8]]
    /// Every directory, by absolute path, the root one included. Parents of files
    /// and directories are added by ``addFile(_:contents:)`` and ``addDirectory(_:)``.
    public var directories: Set<String>
    /// Paths that are neither (standing for symbolic links and the like).
    public var others: Set<String>

    /// An empty file system with only "/".
    public init() {
        files = [:]
        directories = ["/"]
        others = []
    }

    /// Adds a directory and its missing parents.
    public mutating func addDirectory(_ path: String) {
        var current = ""
        for component in path.split(separator: "/") {
            current += "/" + component
            directories.insert(current)
        }
    }

    /// Adds a file and its missing parent directories.
    public mutating func addFile(_ path: String, contents: [UInt8]) {
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex { addDirectory(String(path[..<slash])) }
        files[path] = contents
    }

    static func parent(of path: String) -> Substring? {
        guard let slash = path.lastIndex(of: "/") else { return nil }
        return slash == path.startIndex ? "/" : path[..<slash]
    }

    static func lastComponent(of path: String) -> String {
        path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
    }

    /// The entries whose parent is `path`.
    /// - Throws: ``DeviceTreeDirectoryError/Reason/notADirectory`` when `path` is no directory.
    public func entries(ofDirectory path: String) throws(DeviceTreeDirectoryError) -> [DeviceTreeDirectoryEntry] {
        guard directories.contains(path) else { throw DeviceTreeDirectoryError(path: path, reason: .notADirectory) }
        var result: [DeviceTreeDirectoryEntry] = []
        for file in files.keys where Self.parent(of: file) == path[...] {
            result.append(DeviceTreeDirectoryEntry(name: Self.lastComponent(of: file), kind: .file))
        }
        for directory in directories where directory != "/" && Self.parent(of: directory) == path[...] {
            result.append(DeviceTreeDirectoryEntry(name: Self.lastComponent(of: directory), kind: .directory))
        }
        for other in others where Self.parent(of: other) == path[...] {
            result.append(DeviceTreeDirectoryEntry(name: Self.lastComponent(of: other), kind: .other))
        }
        return result
    }

    /// The bytes of the file at `path`.
    /// - Throws: ``DeviceTreeDirectoryError`` when there is no such file or it is
    ///   larger than `limit`.
    public func contents(ofFile path: String, limit: Int) throws(DeviceTreeDirectoryError) -> [UInt8] {
        guard let bytes = files[path] else { throw DeviceTreeDirectoryError(path: path, reason: .io(operation: "open", errno: 2)) }
        guard bytes.count <= limit else { throw DeviceTreeDirectoryError(path: path, reason: .fileTooLarge(limit: limit)) }
        return bytes
    }
}
