import KexecCore

extension DeviceTree {
    /// The `version` the writer puts in the header.
    public static let writtenVersion: UInt32 = 17
    /// The `last_comp_version` the writer puts in the header (as dtc does).
    public static let writtenLastCompatibleVersion: UInt32 = 16

    /// Writes the tree as a version-17 flattened device tree blob.
    ///
    /// The layout is deterministic: the 40-byte header, the reservation map at
    /// offset 40 (entries, then a zero entry), the structure block (each node's
    /// properties, then its children, depth first; every token 4-byte aligned),
    /// the strings block as ``DeviceTreeBlobLayout`` describes, then
    /// `layout.freeSpace` zero bytes. With ``DeviceTreeBlobLayout/canonical`` this
    /// is byte for byte what `dtc -I dts -O dtb` writes for the same tree.
    ///
    /// - Parameter layout: the strings block seed and free space (default: dtc's).
    /// - Throws: ``DeviceTreeWriteError`` for invalid or duplicate names, a named
    ///   root, or sizes past the format's 32-bit fields.
    public func flattened(layout: DeviceTreeBlobLayout = .canonical) throws(DeviceTreeWriteError) -> [UInt8] {
        guard root.name.isEmpty else { throw .rootNamed(root.name) }
        guard layout.freeSpace >= 0 else { throw .invalidFreeSpace(layout.freeSpace) }
        var strings = DeviceTreeStringTable(seed: layout.stringsSeed, knownOffsets: layout.nameOffsets)
        var structure = ByteWriter(byteOrder: .big)
        try Self.emit(root, path: "/", into: &structure, strings: &strings, padding: layout.paddingBytes)
        structure.write(DeviceTreeToken.end.rawValue)

        var reservationMap = ByteWriter(byteOrder: .big, reservingCapacity: (reservations.count + 1) * 16)
        for range in reservations {
            reservationMap.write(range.lowerBound.rawValue)
            reservationMap.write(range.size)
        }
        reservationMap.writeZeros(16)

        let headerSize = UInt64(FlattenedDeviceTreeHeader.version17Size)
        let structureOffset = headerSize + UInt64(reservationMap.bytes.count)
        let stringsOffset = structureOffset + UInt64(structure.bytes.count)
        let total = stringsOffset + UInt64(strings.bytes.count) + UInt64(layout.freeSpace)
        guard total <= UInt64(UInt32.max) else { throw .tooLarge(what: "blob", size: total) }
        let header = FlattenedDeviceTreeHeader(
            totalSize: UInt32(total), structureOffset: UInt32(structureOffset), stringsOffset: UInt32(stringsOffset),
            reservationMapOffset: UInt32(headerSize), version: Self.writtenVersion,
            lastCompatibleVersion: Self.writtenLastCompatibleVersion, bootCPUPhysicalID: bootCPUPhysicalID,
            stringsSize: UInt32(strings.bytes.count), structureSize: UInt32(structure.bytes.count))

        var blob = ByteWriter(byteOrder: .big, reservingCapacity: Int(total))
        blob.write(bytes: header.encoded)
        blob.write(bytes: reservationMap.bytes)
        blob.write(bytes: structure.bytes)
        blob.write(bytes: strings.bytes)
        blob.writeZeros(layout.freeSpace)
        return blob.bytes
    }

    /// Emits `node` and its subtree: FDT_BEGIN_NODE, the name padded to 4 bytes,
    /// each property as FDT_PROP, length, name offset and padded value, the
    /// children, FDT_END_NODE.
    private static func emit(_ node: DeviceTreeNode, path: String, into out: inout ByteWriter,
                             strings: inout DeviceTreeStringTable,
                             padding: [DeviceTreePaddingKey: [UInt8]]) throws(DeviceTreeWriteError) {
        out.write(DeviceTreeToken.beginNode.rawValue)
        out.write(bytes: node.name.utf8)
        out.write(UInt8(0))
        pad(&out, with: padding.isEmpty ? nil : padding[DeviceTreePaddingKey(path: path)])
        var seen = Set<String>()
        for property in node.properties {
            guard isValidPropertyName(property.name.utf8) else { throw .invalidPropertyName(path: path, name: property.name) }
            guard seen.insert(property.name).inserted else { throw .duplicateProperty(path: path, name: property.name) }
            guard UInt64(property.value.count) <= UInt64(UInt32.max) else {
                throw .tooLarge(what: "property \(path) \(property.name)", size: UInt64(property.value.count))
            }
            out.write(DeviceTreeToken.property.rawValue)
            out.write(UInt32(property.value.count))
            out.write(UInt32(truncatingIfNeeded: strings.offset(of: property.name)))
            out.write(bytes: property.value)
            pad(&out, with: padding.isEmpty ? nil : padding[DeviceTreePaddingKey(path: path, property: property.name)])
        }
        seen.removeAll()
        let prefix = path == "/" ? "/" : path + "/"
        for child in node.children {
            guard isValidNodeName(child.name.utf8) else { throw .invalidNodeName(path: path, name: child.name) }
            guard seen.insert(child.name).inserted else { throw .duplicateNode(path: path, name: child.name) }
            try emit(child, path: prefix + child.name, into: &out, strings: &strings, padding: padding)
        }
        out.write(DeviceTreeToken.endNode.rawValue)
    }

    /// Pads to a multiple of 4 with `recorded` bytes when they are exactly as many
    /// as needed, with zeros otherwise.
    private static func pad(_ out: inout ByteWriter, with recorded: [UInt8]?) {
        let needed = (4 - out.bytes.count % 4) % 4
        if let recorded, recorded.count == needed {
            out.write(bytes: recorded)
        } else {
            out.writeZeros(needed)
        }
    }
}
