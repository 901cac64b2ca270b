/// One node of a device tree: its name, its properties in order, and its children
/// in order.
///
/// A value: editing a copy never changes the tree it came from. Names carry the
/// unit address (`memory@0`, `PowerPC,POWER9@0`); the root's name is empty.
public struct DeviceTreeNode: Hashable, Sendable, CustomStringConvertible {
    /// The node name with its unit address, if any; empty for the root.
    public var name: String
    /// The properties in the order they are written.
    public var properties: [DeviceTreeProperty]
    /// The child nodes in the order they are written.
    public var children: [DeviceTreeNode]

    /// A node with the given name, properties and children.
    public init(name: String, properties: [DeviceTreeProperty] = [], children: [DeviceTreeNode] = []) {
        self.name = name
        self.properties = properties
        self.children = children
    }

    /// The name without its unit address (`memory` for `memory@0`).
    public var baseName: Substring {
        name.firstIndex(of: "@").map { name[..<$0] } ?? name[...]
    }

    /// The unit address after `@` (`0` for `memory@0`), or `nil` without one.
    public var unitAddress: Substring? {
        name.firstIndex(of: "@").map { name[name.index(after: $0)...] }
    }

    /// The property called `name`, or `nil`.
    public func property(_ name: String) -> DeviceTreeProperty? {
        properties.first { $0.name == name }
    }

    /// The property called `name`.
    /// - Throws: ``DeviceTreePropertyError/Reason/missing`` when there is none.
    public func requiredProperty(_ name: String) throws(DeviceTreePropertyError) -> DeviceTreeProperty {
        guard let found = property(name) else { throw DeviceTreePropertyError(property: name, reason: .missing) }
        return found
    }

    /// Sets a property: replaces the value of an existing property of that name
    /// in place (keeping its position), or appends a new one.
    public mutating func setProperty(_ property: DeviceTreeProperty) {
        if let index = properties.firstIndex(where: { $0.name == property.name }) {
            properties[index] = property
        } else {
            properties.append(property)
        }
    }

    /// Sets a property right after the property called `anchor` (or appends it
    /// when there is no such property), removing any earlier one of the same name.
    public mutating func setProperty(_ property: DeviceTreeProperty, after anchor: String) {
        properties.removeAll { $0.name == property.name }
        if let index = properties.firstIndex(where: { $0.name == anchor }) {
            properties.insert(property, at: index + 1)
        } else {
            properties.append(property)
        }
    }

    /// Removes the property called `name`; returns it, or `nil` when there was none.
    @discardableResult
    public mutating func removeProperty(_ name: String) -> DeviceTreeProperty? {
        guard let index = properties.firstIndex(where: { $0.name == name }) else { return nil }
        return properties.remove(at: index)
    }

    /// The index of the child `name` names: a child with exactly that name, or, for
    /// a name without a unit address, the first child whose base name matches
    /// (`memory` finds `memory@0`), as libfdt's path lookup does.
    public func childIndex(named name: String) -> Int? {
        if let exact = children.firstIndex(where: { $0.name == name }) { return exact }
        guard !name.utf8.contains(UInt8(ascii: "@")) else { return nil }
        return children.firstIndex { $0.baseName == name }
    }

    /// The child `name` names (see ``childIndex(named:)``), or `nil`.
    public func child(named name: String) -> DeviceTreeNode? {
        childIndex(named: name).map { children[$0] }
    }

    /// `#address-cells`: how many cells a child's `reg` address takes. The
    /// devicetree specification's default, 2, applies when the property is absent.
    /// - Throws: ``DeviceTreePropertyError`` for a malformed value.
    public func addressCells() throws(DeviceTreePropertyError) -> Int {
        try property("#address-cells")?.cellCount() ?? 2
    }

    /// `#size-cells`: how many cells a child's `reg` size takes. The devicetree
    /// specification's default, 1, applies when the property is absent.
    /// - Throws: ``DeviceTreePropertyError`` for a malformed value.
    public func sizeCells() throws(DeviceTreePropertyError) -> Int {
        try property("#size-cells")?.cellCount() ?? 1
    }

    /// The number of nodes in this subtree, this one included.
    public var nodeCount: Int {
        children.reduce(1) { $0 + $1.nodeCount }
    }

    /// The name, property count and child count.
    public var description: String {
        "\(name.isEmpty ? "/" : name) (\(properties.count) properties, \(children.count) children)"
    }
}
