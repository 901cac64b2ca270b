/// Reads a device tree from a `/proc/device-tree` style directory: every
/// directory is a node (named with its unit address), every regular file a
/// property whose bytes are the value (big-endian, as in a blob).
///
/// Entries are taken in kexec-tools' `fs2dt` order (byte order of names, except
/// that of two names with the same base before `@` and different lengths the
/// shorter comes first, so `memory@f000000` precedes `memory@10000000`); files become
/// properties and directories children in that order. The `name` files the
/// kernel synthesizes from node names are skipped (fs2dt skips them too), and
/// symbolic links are ignored. The result has no reservation map and boot CPU 0:
/// a directory carries neither.
///
/// ```swift
/// let tree = try DeviceTreeDirectoryReader().read()                // /proc/device-tree
/// let test = try DeviceTreeDirectoryReader(fileSystem: memory).read(at: "/dt")
/// ```
public struct DeviceTreeDirectoryReader: Sendable {
    /// Bounds on what the reader accepts, so a runaway directory cannot exhaust memory.
    public struct Limits: Hashable, Sendable {
        /// The deepest directory nesting below the root (default 64).
        public var maximumDepth: Int
        /// The most entries in one directory (default 65,536).
        public var maximumEntriesPerDirectory: Int
        /// The largest property file (default 16 MiB).
        public var maximumPropertySize: Int
        /// The most property bytes in the whole tree (default 256 MiB).
        public var maximumTotalBytes: Int

        /// Limits with the given bounds.
        public init(maximumDepth: Int = 64, maximumEntriesPerDirectory: Int = 65_536,
                    maximumPropertySize: Int = 16 << 20, maximumTotalBytes: Int = 256 << 20) {
            self.maximumDepth = maximumDepth
            self.maximumEntriesPerDirectory = maximumEntriesPerDirectory
            self.maximumPropertySize = maximumPropertySize
            self.maximumTotalBytes = maximumTotalBytes
        }
    }

    /// Where the files come from.
    public var fileSystem: any DeviceTreeFileSystem
    /// The bounds enforced.
    public var limits: Limits
    /// Whether `name` files become properties (default `false`, as in kexec-tools:
    /// the kernel makes them up from the node names).
    public var includesNameProperties: Bool

    /// A reader over `fileSystem` (default: the real one).
    public init(fileSystem: any DeviceTreeFileSystem = LinuxDeviceTreeFileSystem(), limits: Limits = Limits(),
                includesNameProperties: Bool = false) {
        self.fileSystem = fileSystem
        self.limits = limits
        self.includesNameProperties = includesNameProperties
    }

    /// Reads the tree rooted at the directory `path`.
    /// - Throws: ``DeviceTreeDirectoryError`` naming the file or directory: a
    ///   failed system call with its errno, a name that cannot be a node or
    ///   property name, or a limit passed.
    public func read(at path: String = "/proc/device-tree") throws(DeviceTreeDirectoryError) -> DeviceTree {
        var totalBytes = 0
        let root = try readNode(at: path, name: "", depth: 0, totalBytes: &totalBytes)
        return DeviceTree(root: root)
    }

    private func readNode(at path: String, name: String, depth: Int, totalBytes: inout Int) throws(DeviceTreeDirectoryError) -> DeviceTreeNode {
        guard depth <= limits.maximumDepth else { throw DeviceTreeDirectoryError(path: path, reason: .tooDeep(limit: limits.maximumDepth)) }
        let entries = try fileSystem.entries(ofDirectory: path)
        guard entries.count <= limits.maximumEntriesPerDirectory else {
            throw DeviceTreeDirectoryError(path: path, reason: .tooManyEntries(limit: limits.maximumEntriesPerDirectory))
        }
        var node = DeviceTreeNode(name: name)
        let prefix = path.hasSuffix("/") ? path : path + "/"
        for entry in entries.sorted(by: { Self.fs2dtOrder($0.name, $1.name) }) {
            switch entry.kind {
            case .file:
                if entry.name == "name" && !includesNameProperties { continue }
                guard DeviceTree.isValidPropertyName(entry.name.utf8) else {
                    throw DeviceTreeDirectoryError(path: prefix + entry.name, reason: .invalidName(entry.name))
                }
                let value = try fileSystem.contents(ofFile: prefix + entry.name, limit: limits.maximumPropertySize)
                totalBytes += value.count
                guard totalBytes <= limits.maximumTotalBytes else {
                    throw DeviceTreeDirectoryError(path: prefix + entry.name, reason: .tooManyBytes(limit: limits.maximumTotalBytes))
                }
                node.properties.append(DeviceTreeProperty(name: entry.name, value: value))
            case .directory:
                guard DeviceTree.isValidNodeName(entry.name.utf8) else {
                    throw DeviceTreeDirectoryError(path: prefix + entry.name, reason: .invalidName(entry.name))
                }
                node.children.append(try readNode(at: prefix + entry.name, name: entry.name, depth: depth + 1, totalBytes: &totalBytes))
            case .other:
                continue
            }
        }
        return node
    }

    /// kexec-tools' `comparefunc`: byte order, except two names with the same
    /// part before `@` and different lengths sort by length.
    static func fs2dtOrder(_ left: String, _ right: String) -> Bool {
        let a = Array(left.utf8)
        let b = Array(right.utf8)
        if let at = a.firstIndex(of: UInt8(ascii: "@")), let bt = b.firstIndex(of: UInt8(ascii: "@")),
           at == bt, a.count != b.count, a[..<at] == b[..<bt] {
            return a.count < b.count
        }
        return a.lexicographicallyPrecedes(b)
    }
}
