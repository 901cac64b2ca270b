/// A `/proc/device-tree` style directory that could not be read as a tree.
public struct DeviceTreeDirectoryError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Why.
    public enum Reason: Hashable, Sendable {
        /// A system call failed: the operation ("opendir", "open", "read", "lstat") and its errno.
        case io(operation: String, errno: Int32)
        /// The path is not a directory.
        case notADirectory
        /// A property file larger than the reader's limit.
        case fileTooLarge(limit: Int)
        /// The property files together pass the reader's limit.
        case tooManyBytes(limit: Int)
        /// Directories nested deeper than the reader's limit.
        case tooDeep(limit: Int)
        /// A directory with more entries than the reader's limit.
        case tooManyEntries(limit: Int)
        /// An entry name that cannot name a node or property.
        case invalidName(String)
    }

    /// The file or directory.
    public var path: String
    /// What went wrong.
    public var reason: Reason

    /// An error about `path`.
    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    public var description: String {
        let what: String
        switch reason {
        case .io(let operation, let errno): what = "\(operation) failed with errno \(errno)"
        case .notADirectory: what = "is not a directory"
        case .fileTooLarge(let limit): what = "is larger than \(limit) bytes"
        case .tooManyBytes(let limit): what = "brings the tree past \(limit) bytes of property data"
        case .tooDeep(let limit): what = "nests directories deeper than \(limit)"
        case .tooManyEntries(let limit): what = "has more than \(limit) entries"
        case .invalidName(let name): what = "holds \"\(name)\", which cannot name a node or property"
        }
        return "device tree directory \(path): \(what)"
    }
}
