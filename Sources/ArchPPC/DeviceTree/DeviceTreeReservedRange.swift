public import KexecCore

/// A range of physical memory the tree says is taken: by firmware, by the
/// running kernel, or by the reservation map.
public struct DeviceTreeReservedRange: Hashable, Sendable, CustomStringConvertible {
    /// Where the tree says so.
    public enum Source: Hashable, Sendable, CustomStringConvertible {
        /// An entry of the blob's memory reservation map.
        case reservationMap
        /// The root's `reserved-ranges` property (PowerKVM, OPAL).
        case reservedRanges
        /// A child of `/reserved-memory` with a fixed `reg`; the node's path.
        case reservedMemory(String)
        /// RTAS: `linux,rtas-base` and `rtas-size` of the node at the path (`/rtas`).
        case rtas(String)
        /// OPAL: `opal-base-address` and `opal-runtime-size` of the node at the path (`/ibm,opal`).
        case opal(String)
        /// A TCE table: `linux,tce-base` and `linux,tce-size` of the node at the path (a PCI host bridge).
        case tce(String)
        /// The hash page table: `/chosen` `linux,htab-base` and `linux,htab-size` (not under a hypervisor).
        case hashTable
        /// The running kernel: from 0 up to `/chosen` `linux,kernel-end`.
        case kernel

        public var description: String {
            switch self {
            case .reservationMap: "memory reservation map"
            case .reservedRanges: "/reserved-ranges"
            case .reservedMemory(let path): path
            case .rtas(let path): "RTAS (\(path))"
            case .opal(let path): "OPAL (\(path))"
            case .tce(let path): "TCE table (\(path))"
            case .hashTable: "hash page table (/chosen)"
            case .kernel: "running kernel (/chosen linux,kernel-end)"
            }
        }
    }

    /// The bytes taken.
    public var range: PhysicalRange
    /// Who takes them.
    public var source: Source

    /// A range taken by `source`.
    public init(range: PhysicalRange, source: Source) {
        self.range = range
        self.source = source
    }

    public var description: String { "\(range) \(source)" }
}

extension DeviceTree {
    /// The firmware areas kexec-tools reserves in the next kernel's map while it
    /// flattens the tree (`checkprop` in kexec/fs2dt.c), in tree order: RTAS
    /// (`linux,rtas-base` + `rtas-size`), OPAL (`opal-base-address` +
    /// `opal-runtime-size`) and TCE tables (`linux,tce-base` + `linux,tce-size`),
    /// from whichever node holds both halves of a pair. Empty ranges are left out.
    /// - Throws: ``DeviceTreePropertyError`` naming the node for a value of the
    ///   wrong size or a range past 2^64.
    public func firmwareRanges() throws(DeviceTreePropertyError) -> [DeviceTreeReservedRange] {
        var found: [DeviceTreeReservedRange] = []
        try forEachNode { (path: String, node: DeviceTreeNode) throws(DeviceTreePropertyError) in
            let pairs: [(base: String, size: String, source: DeviceTreeReservedRange.Source)] = [
                ("linux,rtas-base", "rtas-size", .rtas(path)),
                ("opal-base-address", "opal-runtime-size", .opal(path)),
                ("linux,tce-base", "linux,tce-size", .tce(path)),
            ]
            for pair in pairs {
                guard let range = try node.range(base: pair.base, size: pair.size, path: path) else { continue }
                found.append(DeviceTreeReservedRange(range: range, source: pair.source))
            }
        }
        return found
    }
}

extension DeviceTreeNode {
    /// `[base, base + size)` from two number properties (4 or 8 bytes each), or
    /// `nil` when either is absent or the size is 0.
    /// - Throws: ``DeviceTreePropertyError`` naming `path` for a malformed value or
    ///   a range past 2^64.
    func range(base baseName: String, size sizeName: String, path: String) throws(DeviceTreePropertyError) -> PhysicalRange? {
        guard let baseProperty = property(baseName), let sizeProperty = property(sizeName) else { return nil }
        do throws(DeviceTreePropertyError) {
            let base = try baseProperty.integer()
            let size = try sizeProperty.integer()
            guard size > 0 else { return nil }
            guard let range = try? PhysicalRange(start: PhysicalAddress(base), size: size) else {
                throw DeviceTreePropertyError(property: baseName, reason: .rangeOverflow(base: base, size: size))
            }
            return range
        } catch {
            throw error.at(path)
        }
    }
}
