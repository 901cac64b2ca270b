/// The rules every tree the parser returns obeys and every tree the writer
/// accepts must obey.
extension DeviceTree {
    /// Whether `byte` may appear in a node or property name: printable ASCII
    /// without space and without `/` (a path separator in both the blob's paths
    /// and `/proc/device-tree`).
    static func isNameByte(_ byte: UInt8) -> Bool {
        byte > 0x20 && byte < 0x7f && byte != UInt8(ascii: "/")
    }

    /// Whether `name` can name a property.
    static func isValidPropertyName<C: Collection>(_ name: C) -> Bool where C.Element == UInt8 {
        !name.isEmpty && name.allSatisfy(isNameByte)
    }

    /// Whether `name` can name a non-root node.
    static func isValidNodeName<C: Collection>(_ name: C) -> Bool where C.Element == UInt8 {
        !name.isEmpty && name.allSatisfy(isNameByte)
    }

    /// Checks what every valid tree obeys: node names (but the root's) and
    /// property names non-empty printable ASCII without space or `/`, the root
    /// name empty, and no two properties or two children of a node sharing a name.
    /// - Returns: a description of the first violation with its path, or `nil`.
    public func checkInvariants() -> String? {
        if !root.name.isEmpty { return "the root node is named \"\(root.name)\", not \"\"" }
        var violation: String?
        forEachNode { (path: String, node: DeviceTreeNode) in
            guard violation == nil else { return }
            violation = Self.violation(in: node, at: path)
        }
        return violation
    }

    /// The first rule `node` itself breaks (not its subtree), or `nil`.
    static func violation(in node: DeviceTreeNode, at path: String) -> String? {
        var names = Set<String>()
        for property in node.properties {
            guard isValidPropertyName(property.name.utf8) else { return "\(path): invalid property name \"\(property.name)\"" }
            guard names.insert(property.name).inserted else { return "\(path): duplicate property \"\(property.name)\"" }
        }
        names.removeAll()
        for child in node.children {
            guard isValidNodeName(child.name.utf8) else { return "\(path): invalid node name \"\(child.name)\"" }
            guard names.insert(child.name).inserted else { return "\(path): duplicate node \"\(child.name)\"" }
        }
        return nil
    }
}
