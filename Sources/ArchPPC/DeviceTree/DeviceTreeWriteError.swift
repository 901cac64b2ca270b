/// A tree the writer cannot turn into a blob.
public enum DeviceTreeWriteError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The root node has a name; a version-16+ root is nameless.
    case rootNamed(String)
    /// A node name that is empty or holds bytes outside printable ASCII, space or `/`.
    case invalidNodeName(path: String, name: String)
    /// A property name that is empty or holds bytes outside printable ASCII, space or `/`.
    case invalidPropertyName(path: String, name: String)
    /// Two properties of one node with the same name.
    case duplicateProperty(path: String, name: String)
    /// Two children of one node with the same name.
    case duplicateNode(path: String, name: String)
    /// The blob, or a property value, would pass the 32-bit sizes of the format.
    case tooLarge(what: String, size: UInt64)
    /// Free space that is negative.
    case invalidFreeSpace(Int)

    public var description: String {
        switch self {
        case .rootNamed(let name): "device tree root node is named \"\(name)\"; it must be nameless"
        case .invalidNodeName(let path, let name): "device tree node \"\(name)\" under \(path) has an invalid name"
        case .invalidPropertyName(let path, let name): "device tree property \"\(name)\" of \(path) has an invalid name"
        case .duplicateProperty(let path, let name): "device tree node \(path) has two properties named \"\(name)\""
        case .duplicateNode(let path, let name): "device tree node \(path) has two children named \"\(name)\""
        case .tooLarge(let what, let size): "device tree \(what) of \(size) bytes does not fit the blob format's 32-bit sizes"
        case .invalidFreeSpace(let value): "device tree blob free space \(value) is negative"
        }
    }
}
