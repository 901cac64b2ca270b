/// How the writer lays out the blocks it does not derive from the tree alone: the
/// strings block's starting contents and the free space at the end.
///
/// The writer always emits a version-17 header (`last_comp_version` 16), the
/// reservation map at offset 40, then the structure block and the strings block
/// back to back, as `dtc -O dtb` does. With ``canonical`` the strings block holds
/// each property name once, in the order the names are first used in a depth-first
/// walk, and a name that is the tail of an earlier one (`phandle` in
/// `linux,phandle`) shares its bytes: exactly dtc's `stringtable_insert` and
/// libfdt's `fdt_find_add_string`, so a dtc-made blob comes back byte for byte.
///
/// Blobs made by libfdt's read-write functions (qemu, u-boot) hold their names
/// in the order the program added them instead; ``DeviceTreeBlob/layout`` keeps
/// that strings block and the offsets the blob used, so writing an unedited tree
/// with it reproduces the blob.
public struct DeviceTreeBlobLayout: Hashable, Sendable {
    /// Bytes the strings block starts with; names not found in it are appended.
    public var stringsSeed: [UInt8]
    /// The strings-block offset to use for a name, where a seed holds the name at
    /// a place other than its first occurrence. Entries that do not point at the
    /// name followed by NUL inside the seed are ignored.
    public var nameOffsets: [String: UInt32]
    /// Non-zero bytes the blob's producer left in the alignment padding after a
    /// node name or property value (libfdt leaves stale bytes when a property
    /// shrinks in place; qemu's trees have them). Kept only so an unedited tree
    /// writes back byte for byte: the writer uses an entry where the padded item
    /// needs exactly that many padding bytes, and zeros everywhere else.
    public var paddingBytes: [DeviceTreePaddingKey: [UInt8]]
    /// Zero bytes after the strings block, counted in `totalsize` (dtc's `-p`):
    /// room for a later in-place edit.
    public var freeSpace: Int

    /// A layout with the given seed, offsets and free space.
    public init(stringsSeed: [UInt8] = [], nameOffsets: [String: UInt32] = [:],
                paddingBytes: [DeviceTreePaddingKey: [UInt8]] = [:], freeSpace: Int = 0) {
        self.stringsSeed = stringsSeed
        self.nameOffsets = nameOffsets
        self.paddingBytes = paddingBytes
        self.freeSpace = freeSpace
    }

    /// dtc's layout: names in first-use order, shared tails, no free space.
    public static let canonical = DeviceTreeBlobLayout()
}

/// Where a padding area lies: after the name of the node at `path`, or after the
/// value of its property `property`.
public struct DeviceTreePaddingKey: Hashable, Sendable {
    /// The node's absolute path.
    public var path: String
    /// The property whose value the padding follows; `nil` for the node name.
    public var property: String?

    /// The padding after the node name (`property` nil) or a property value.
    public init(path: String, property: String? = nil) {
        self.path = path
        self.property = property
    }
}
