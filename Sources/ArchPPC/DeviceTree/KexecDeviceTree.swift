public import KexecCore

/// The device tree handed to a kernel that kexec boots: the running system's
/// tree with kexec-tools' edits (kexec/fs2dt.c, kexec/arch/ppc64/fdt.c), ready to
/// be written as a version-17 blob at the address the planner picks.
///
/// The edits:
/// - Every node loses the properties the running kernel made for itself and the
///   next kernel makes again (``removedProperties``): `linux,pci-domain`,
///   `linux,htab-base`, `linux,htab-size`, `linux,kernel-end`,
///   `linux,crashkernel-base`, `linux,crashkernel-size`, and `bootargs`;
///   `linux,initrd-start`/`-end` too unless the initrd is reused. Everything else
///   stays, `linux,memory-limit`, `linux,stdout-path`, `linux,rtas-base` and
///   `linux,rtas-entry` included.
/// - `/chosen` (created if missing) gets `linux,initrd-start` and
///   `linux,initrd-end` as 8-byte numbers when there is an initrd, then
///   `bootargs`, then the empty `linux,booted-from-kexec`.
/// - For kdump, every memory node gets `linux,usable-memory` right after `reg`:
///   its `reg` ranges cut to the usable memory, or one `(0, 0)` pair when nothing
///   is usable; `/ibm,dynamic-reconfiguration-memory` gets
///   `linux,drconf-usable-memory` (per block: a count, then the pairs).
/// - The reservation map: the source's entries (optional), the root's
///   `reserved-ranges`, RTAS, OPAL and TCE tables, the initrd, the kdump and
///   caller-given ranges, and last the tree itself, once its address is known.
/// - `boot_cpuid_phys` as given.
///
/// The blob's size does not depend on its address, so a loader finds the address
/// with a placeholder on a copy of its planner (a value), then places the final
/// bytes exactly there (kexec-tools patches the same entry in place;
/// ``selfReservationOffset`` says where):
///
/// ```swift
/// let dt = try KexecDeviceTree(source: tree, options: KexecDeviceTreeOptions(commandLine: "console=hvc0", initrd: initrd))
/// var trial = planner
/// let address = try trial.place(PlacementRequest(role: .deviceTree, bytes: try dt.blob(loadedAt: 0), maximum: rmaEnd))
/// try planner.place(PlacementRequest(role: .deviceTree, bytes: try dt.blob(loadedAt: address), maximum: rmaEnd,
///                                    strategy: .exact(address)))
/// ```
public struct KexecDeviceTree: Hashable, Sendable {
    /// powerpc's `COMMAND_LINE_SIZE`: the command line with its NUL must fit.
    public static let commandLineLimit = 2048
    /// Properties removed from every node, as kexec-tools' `putprops` skips them.
    ///
    /// kexec-tools keeps `linux,crashkernel-*` only when the new command line has
    /// `crashkernel=`, but decides that after it has already copied `/chosen`, so
    /// in effect it always drops them; the booted kernel adds them again from its
    /// own `crashkernel=`.
    public static let removedProperties: Set<String> = [
        "linux,pci-domain", "linux,htab-base", "linux,htab-size", "linux,kernel-end",
        "linux,crashkernel-base", "linux,crashkernel-size", "bootargs",
    ]
    /// The initrd properties, removed unless the initrd is reused.
    public static let initrdProperties: Set<String> = ["linux,initrd-start", "linux,initrd-end"]

    /// The edited tree; its reservation map lacks only the tree's own entry.
    public let tree: DeviceTree
    /// Zero bytes after the strings block.
    public let freeSpace: Int
    /// The blob's size in bytes, the same wherever it is loaded.
    public let size: Int

    /// Applies the edits to `source`.
    /// - Throws: ``KexecDeviceTreeError`` for a command line that does not fit, a
    ///   malformed source property, usable ranges that do not fit the root's
    ///   cells, or a tree that cannot be written.
    public init(source: DeviceTree, options: KexecDeviceTreeOptions) throws(KexecDeviceTreeError) {
        let commandLine = Array(options.commandLine.utf8)
        guard !commandLine.contains(0) else { throw .commandLineHasNUL }
        guard commandLine.count < Self.commandLineLimit else {
            throw .commandLineTooLong(length: commandLine.count, limit: Self.commandLineLimit)
        }
        var tree = source
        let firmware: [DeviceTreeReservedRange]
        let reusedInitrd: PhysicalRange?
        let rootReserved: [PhysicalRange]
        do throws(DeviceTreePropertyError) {
            firmware = try source.firmwareRanges()
            reusedInitrd = options.initrd == nil && options.reusesInitrd ? try Self.initrdRange(of: source) : nil
            rootReserved = try Self.reservedRanges(of: source)
        } catch {
            throw .property(error)
        }

        // Drop the stale properties everywhere.
        let keepsInitrd = options.initrd == nil && options.reusesInitrd
        let removed = keepsInitrd ? Self.removedProperties : Self.removedProperties.union(Self.initrdProperties)
        tree.updateEachNode { (_: String, node: inout DeviceTreeNode) in
            node.properties.removeAll { removed.contains($0.name) }
        }

        // /chosen: initrd, command line, kexec flag.
        tree.ensureNode(at: "/chosen")
        tree.updateNode(at: "/chosen") { (chosen: inout DeviceTreeNode) in
            if let initrd = options.initrd {
                chosen.setProperty(DeviceTreeProperty(name: "linux,initrd-start", u64: initrd.lowerBound.rawValue))
                chosen.setProperty(DeviceTreeProperty(name: "linux,initrd-end", u64: initrd.upperBound.rawValue))
            }
            chosen.setProperty(DeviceTreeProperty(name: "bootargs", string: options.commandLine))
            if options.marksBootedFromKexec { chosen.setProperty(DeviceTreeProperty(flag: "linux,booted-from-kexec")) }
        }

        // kdump: usable memory on the memory nodes.
        if let crash = options.crash {
            do throws(DeviceTreePropertyError) {
                try Self.addUsableMemory(crash.usableMemory, to: &tree)
            } catch {
                throw .property(error)
            }
        }

        // The reservation map, without duplicates or empty entries.
        var reservations = options.keepsSourceReservations ? source.reservations : []
        reservations += rootReserved
        reservations += firmware.map(\.range)
        if let initrd = options.initrd ?? reusedInitrd { reservations.append(initrd) }
        reservations += options.crash?.reservations ?? []
        reservations += options.additionalReservations
        var seen = Set<PhysicalRange>()
        tree.reservations = reservations.filter { !$0.isEmpty && seen.insert($0).inserted }
        tree.bootCPUPhysicalID = options.bootCPUPhysicalID ?? source.bootCPUPhysicalID

        self.tree = tree
        freeSpace = options.freeSpace
        do throws(DeviceTreeWriteError) {
            // The tree's own entry changes no size, so a placeholder gives the size.
            var sized = tree
            sized.reservations.append(PhysicalRange(unchecked: 0, 1))
            size = try sized.flattened(layout: DeviceTreeBlobLayout(freeSpace: options.freeSpace)).count
        } catch {
            throw .write(error)
        }
    }

    /// The byte offset in the blob of the tree's own reservation entry (its
    /// 8-byte big-endian address, then its 8-byte size): the last entry of the map
    /// at offset 40.
    public var selfReservationOffset: Int {
        FlattenedDeviceTreeHeader.version17Size + 16 * tree.reservations.count
    }

    /// The blob for the tree loaded at `address`: the edited tree with a last
    /// reservation entry for `[address, address + size)`, written with dtc's layout.
    /// - Throws: ``KexecDeviceTreeError/blobPastAddressSpace(address:size:)`` or a write error.
    public func blob(loadedAt address: PhysicalAddress) throws(KexecDeviceTreeError) -> [UInt8] {
        guard let own = try? PhysicalRange(start: address, size: UInt64(size)) else {
            throw .blobPastAddressSpace(address: address, size: size)
        }
        var final = tree
        final.reservations.append(own)
        do throws(DeviceTreeWriteError) {
            return try final.flattened(layout: DeviceTreeBlobLayout(freeSpace: freeSpace))
        } catch {
            throw .write(error)
        }
    }

    /// The running kernel's initrd from `/chosen` `linux,initrd-start`/`-end`, or `nil`.
    static func initrdRange(of tree: DeviceTree) throws(DeviceTreePropertyError) -> PhysicalRange? {
        guard let chosen = tree.node(at: "/chosen"), let start = chosen.property("linux,initrd-start"),
              let end = chosen.property("linux,initrd-end") else { return nil }
        do throws(DeviceTreePropertyError) {
            let low = try start.integer()
            let high = try end.integer()
            guard low < high else { return nil }
            return PhysicalRange(unchecked: PhysicalAddress(low), PhysicalAddress(high))
        } catch {
            throw error.at("/chosen")
        }
    }

    /// The root's `reserved-ranges` (PowerKVM/OPAL firmware) in the root's cells.
    static func reservedRanges(of tree: DeviceTree) throws(DeviceTreePropertyError) -> [PhysicalRange] {
        guard let property = tree.root.property("reserved-ranges") else { return [] }
        do throws(DeviceTreePropertyError) {
            return try property.physicalRanges(addressCells: tree.root.addressCells(), sizeCells: tree.root.sizeCells())
        } catch {
            throw error.at("/")
        }
    }

    /// Writes `linux,usable-memory` on each memory node and
    /// `linux,drconf-usable-memory` on the dynamic reconfiguration memory node.
    static func addUsableMemory(_ usable: PhysicalRangeSet, to tree: inout DeviceTree) throws(DeviceTreePropertyError) {
        let addressCells: Int
        let sizeCells: Int
        do throws(DeviceTreePropertyError) {
            addressCells = try tree.root.addressCells()
            sizeCells = try tree.root.sizeCells()
        } catch {
            throw error.at("/")
        }
        let dynamicMemory = try DeviceTreeDynamicMemory(tree: tree)
        for index in tree.root.children.indices {
            let node = tree.root.children[index]
            guard DeviceTreeMemoryLayout.isMemoryNode(node), let reg = node.property("reg") else { continue }
            let path = "/" + node.name
            do throws(DeviceTreePropertyError) {
                let ranges = try reg.physicalRanges(addressCells: addressCells, sizeCells: sizeCells)
                let pieces = ranges.flatMap { usable.intersection(PhysicalRangeSet([$0])).ranges }
                let records = pieces.isEmpty ? [[UInt64(0), 0]] : pieces.map { [$0.lowerBound.rawValue, $0.size] }
                let property = try DeviceTreeProperty(name: "linux,usable-memory", records: records,
                                                      layout: [addressCells, sizeCells])
                tree.root.children[index].setProperty(property, after: "reg")
            } catch {
                throw error.at(path)
            }
        }
        guard let dynamicMemory else { return }
        var value: [UInt8] = []
        do throws(DeviceTreePropertyError) {
            for block in dynamicMemory.blocks {
                guard let range = try? PhysicalRange(start: PhysicalAddress(block.base), size: dynamicMemory.blockSize) else {
                    throw DeviceTreePropertyError(property: "ibm,lmb-size", reason: .rangeOverflow(base: block.base, size: dynamicMemory.blockSize))
                }
                let pieces = usable.intersection(PhysicalRangeSet([range])).ranges
                value += try DeviceTreeProperty(name: "count", records: [[UInt64(pieces.count)]], layout: [sizeCells]).value
                value += try DeviceTreeProperty(name: "ranges", records: pieces.map { [$0.lowerBound.rawValue, $0.size] },
                                                layout: [addressCells, sizeCells]).value
            }
        } catch {
            throw DeviceTreePropertyError(path: DeviceTreeDynamicMemory.path, property: "linux,drconf-usable-memory", reason: error.reason)
        }
        let anchor = dynamicMemory.isVersion2 ? "ibm,dynamic-memory-v2" : "ibm,dynamic-memory"
        tree.updateNode(at: DeviceTreeDynamicMemory.path) { (node: inout DeviceTreeNode) in
            node.setProperty(DeviceTreeProperty(name: "linux,drconf-usable-memory", value: value), after: anchor)
        }
    }
}
