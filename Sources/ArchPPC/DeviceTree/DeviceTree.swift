public import KexecCore

/// A whole flattened device tree as a value: the node hierarchy, the memory
/// reservation map and the boot CPU from the blob header.
///
/// Read it from a blob (``init(parsingBlob:limits:)``, or ``DeviceTreeBlob`` to keep
/// the blob's layout) or from a `/proc/device-tree` style directory
/// (``DeviceTreeDirectoryReader``); write it with ``flattened(layout:)``.
///
/// ```swift
/// var tree = try DeviceTree(parsingBlob: bytes)
/// try tree.updateNode(at: "/chosen") { $0.setProperty(DeviceTreeProperty(name: "bootargs", string: "quiet")) }
/// let blob = try tree.flattened()
/// ```
public struct DeviceTree: Hashable, Sendable {
    /// The root node (its name is empty).
    public var root: DeviceTreeNode
    /// The memory reservation map: ranges the booted kernel must not touch, in order.
    public var reservations: [PhysicalRange]
    /// `boot_cpuid_phys` from the header: the physical id of the CPU that boots
    /// the kernel (ppc64 purgatory rewrites it at entry).
    public var bootCPUPhysicalID: UInt32

    /// A tree with the given root, reservations and boot CPU.
    public init(root: DeviceTreeNode = DeviceTreeNode(name: ""), reservations: [PhysicalRange] = [],
                bootCPUPhysicalID: UInt32 = 0) {
        self.root = root
        self.reservations = reservations
        self.bootCPUPhysicalID = bootCPUPhysicalID
    }

    /// The components of an absolute path ("/cpus/PowerPC,POWER9@0"); `nil` for
    /// a path that does not start with "/".
    static func components(of path: String) -> [Substring]? {
        guard path.hasPrefix("/") else { return nil }
        return path.split(separator: "/", omittingEmptySubsequences: true)
    }

    /// The child indices leading from the root to the node at `path`, or `nil`.
    func indexPath(of path: String) -> [Int]? {
        guard let names = Self.components(of: path) else { return nil }
        var indices: [Int] = []
        var node = root
        for name in names {
            guard let index = node.childIndex(named: String(name)) else { return nil }
            indices.append(index)
            node = node.children[index]
        }
        return indices
    }

    /// The node at an absolute path ("/", "/chosen", "/memory@0"); a component
    /// without a unit address also finds a node that has one (`/memory` finds
    /// `/memory@0`). `nil` when there is no such node.
    public func node(at path: String) -> DeviceTreeNode? {
        guard let indices = indexPath(of: path) else { return nil }
        var node = root
        for index in indices { node = node.children[index] }
        return node
    }

    /// Calls `body` with the node at `path` for editing in place.
    /// - Returns: `body`'s result, or `nil` when there is no such node.
    /// - Throws: what `body` throws.
    @discardableResult
    public mutating func updateNode<Result, Failure: Error>(
        at path: String, _ body: (inout DeviceTreeNode) throws(Failure) -> Result
    ) throws(Failure) -> Result? {
        guard let indices = indexPath(of: path) else { return nil }
        return try Self.update(&root, indices[...], body)
    }

    private static func update<Result, Failure: Error>(
        _ node: inout DeviceTreeNode, _ indices: ArraySlice<Int>, _ body: (inout DeviceTreeNode) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        guard let first = indices.first else { return try body(&node) }
        return try update(&node.children[first], indices.dropFirst(), body)
    }

    /// Makes sure a node exists at `path`, creating empty nodes (appended after
    /// their siblings) for every missing component. Returns whether anything was
    /// created. A path that does not start with "/" creates nothing.
    @discardableResult
    public mutating func ensureNode(at path: String) -> Bool {
        guard let names = Self.components(of: path) else { return false }
        return Self.ensure(&root, names[...])
    }

    private static func ensure(_ node: inout DeviceTreeNode, _ names: ArraySlice<Substring>) -> Bool {
        guard let first = names.first else { return false }
        if let index = node.childIndex(named: String(first)) {
            return ensure(&node.children[index], names.dropFirst())
        }
        node.children.append(DeviceTreeNode(name: String(first)))
        _ = ensure(&node.children[node.children.count - 1], names.dropFirst())
        return true
    }

    /// Removes the node at `path` (not the root) with its subtree; returns it, or
    /// `nil` when there was none.
    @discardableResult
    public mutating func removeNode(at path: String) -> DeviceTreeNode? {
        guard let indices = indexPath(of: path), let last = indices.last else { return nil }
        return Self.update(&root, indices.dropLast()[...]) { (parent: inout DeviceTreeNode) -> DeviceTreeNode in
            parent.children.remove(at: last)
        }
    }

    /// Visits every node depth first, parents before children, in order, with
    /// its absolute path ("/" for the root).
    /// - Throws: what `body` throws; the walk stops there.
    public func forEachNode<Failure: Error>(_ body: (_ path: String, _ node: DeviceTreeNode) throws(Failure) -> Void) throws(Failure) {
        var stack: [(path: String, node: DeviceTreeNode)] = [("/", root)]
        while let (path, node) = stack.popLast() {
            try body(path, node)
            let prefix = path == "/" ? "/" : path + "/"
            for child in node.children.reversed() { stack.append((prefix + child.name, child)) }
        }
    }

    /// Edits every node depth first, parents before children, with its path.
    /// - Throws: what `body` throws; nodes after that one are left as they were.
    public mutating func updateEachNode<Failure: Error>(
        _ body: (_ path: String, _ node: inout DeviceTreeNode) throws(Failure) -> Void
    ) throws(Failure) {
        try Self.updateEach(&root, path: "/", body)
    }

    private static func updateEach<Failure: Error>(
        _ node: inout DeviceTreeNode, path: String, _ body: (String, inout DeviceTreeNode) throws(Failure) -> Void
    ) throws(Failure) {
        try body(path, &node)
        let prefix = path == "/" ? "/" : path + "/"
        for index in node.children.indices {
            try updateEach(&node.children[index], path: prefix + node.children[index].name, body)
        }
    }

    /// The `reg` ranges of the node at `path`, decoded with its parent's
    /// `#address-cells` and `#size-cells` (the root's own `reg` uses the root's).
    /// - Returns: `nil` when there is no such node or it has no `reg`.
    /// - Throws: ``DeviceTreePropertyError`` naming the path for malformed cells.
    public func regEntries(at path: String) throws(DeviceTreePropertyError) -> [DeviceTreeRegEntry]? {
        guard let indices = indexPath(of: path) else { return nil }
        var parent = root
        var node = root
        for index in indices {
            parent = node
            node = node.children[index]
        }
        guard let reg = node.property("reg") else { return nil }
        do {
            return try reg.regEntries(addressCells: parent.addressCells(), sizeCells: parent.sizeCells())
        } catch {
            throw error.at(path)
        }
    }
}
