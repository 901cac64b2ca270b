public import KexecCore

/// A PowerPC machine's memory as its device tree describes it, in the shape the
/// segment planner takes: RAM from the memory nodes (and assigned dynamic
/// reconfiguration LMBs), what firmware and the running kernel hold, the crash
/// region, and the RMA every segment the early kernel touches must stay in.
///
/// What is reserved, as kexec-tools' `kexec/arch/ppc64/kexec-ppc64.c` gathers it
/// plus what a blob adds: the reservation map, `/reserved-memory` children with a
/// fixed `reg` (read with an identity `ranges`, as every PowerPC tree has), the
/// root's `reserved-ranges`, RTAS, OPAL, TCE tables, the hash page table, and the
/// running kernel `[0, linux,kernel-end)`: the kernel refuses (`-ETXTBSY`) kexec
/// segments below its own end on ppc64.
///
/// ```swift
/// let layout = try DeviceTreeMemoryLayout(tree: try DeviceTreeDirectoryReader().read())
/// var planner = try SegmentPlanner(memoryMap: layout.memoryMap, kind: .normal, architecture: .ppc64le,
///                                  pageSize: layout.pageSize, memoryMaximum: layout.rma?.upperBound)
/// ```
public struct DeviceTreeMemoryLayout: Hashable, Sendable {
    /// The `reg` ranges of the memory nodes, in tree order, as the nodes give them.
    public var memoryNodeRanges: [PhysicalRange]
    /// The usable blocks of `/ibm,dynamic-reconfiguration-memory`.
    public var dynamicMemoryRanges: [PhysicalRange]
    /// Everything reserved, in the order found.
    public var reserved: [DeviceTreeReservedRange]
    /// The real mode area: the first range of the memory node with the lowest base
    /// (kexec-tools' `rma_top` is its end). `nil` without memory nodes.
    public var rma: PhysicalRange?
    /// The crash kernel region: given, or `/chosen` `linux,crashkernel-base` and `-size`.
    public var crashRegion: PhysicalRange?
    /// `/chosen` `linux,memory-limit` (the running kernel's `mem=`), if any and non-zero.
    public var memoryLimit: UInt64?
    /// The page size the map is rounded to (RAM inward, reservations outward).
    public var pageSize: PageSize

    /// Reads the layout from a tree.
    ///
    /// - Parameters:
    ///   - tree: the running system's tree (from `/proc/device-tree` or a blob).
    ///   - pageSize: the running kernel's page size (Debian ppc64el: 64 KiB).
    ///   - crashRegion: the crash region when known elsewhere (e.g.
    ///     `/sys/kernel/kexec_crash_size` with the base); otherwise read from `/chosen`.
    /// - Throws: ``DeviceTreePropertyError`` naming the node and property of a
    ///   malformed value or a range past 2^64.
    public init(tree: DeviceTree, pageSize: PageSize = .kib64, crashRegion: PhysicalRange? = nil) throws(DeviceTreePropertyError) {
        self.pageSize = pageSize
        let root = tree.root
        let addressCells: Int
        let sizeCells: Int
        do throws(DeviceTreePropertyError) {
            addressCells = try root.addressCells()
            sizeCells = try root.sizeCells()
        } catch {
            throw error.at("/")
        }

        // RAM: memory nodes, and the RMA from the one whose first range starts lowest.
        var memory: [PhysicalRange] = []
        var rma: PhysicalRange?
        for node in root.children where Self.isMemoryNode(node) {
            guard let reg = node.property("reg") else { continue }
            let ranges: [PhysicalRange]
            do throws(DeviceTreePropertyError) {
                ranges = try reg.physicalRanges(addressCells: addressCells, sizeCells: sizeCells)
            } catch {
                throw error.at("/" + node.name)
            }
            memory.append(contentsOf: ranges)
            if let first = ranges.first, rma.map({ first.lowerBound < $0.lowerBound }) ?? true { rma = first }
        }
        memoryNodeRanges = memory
        self.rma = rma
        dynamicMemoryRanges = try DeviceTreeDynamicMemory(tree: tree)?.usableRanges() ?? []

        // Reserved ranges.
        var reserved = tree.reservations.map { DeviceTreeReservedRange(range: $0, source: .reservationMap) }
        if let ranges = root.property("reserved-ranges") {
            do throws(DeviceTreePropertyError) {
                for range in try ranges.physicalRanges(addressCells: addressCells, sizeCells: sizeCells) where !range.isEmpty {
                    reserved.append(DeviceTreeReservedRange(range: range, source: .reservedRanges))
                }
            } catch {
                throw error.at("/")
            }
        }
        if let node = root.child(named: "reserved-memory") {
            let path = "/" + node.name
            let childAddressCells: Int
            let childSizeCells: Int
            do throws(DeviceTreePropertyError) {
                childAddressCells = try node.addressCells()
                childSizeCells = try node.sizeCells()
            } catch {
                throw error.at(path)
            }
            for child in node.children {
                guard let reg = child.property("reg") else { continue }   // dynamically placed: no fixed address
                do throws(DeviceTreePropertyError) {
                    for range in try reg.physicalRanges(addressCells: childAddressCells, sizeCells: childSizeCells) where !range.isEmpty {
                        reserved.append(DeviceTreeReservedRange(range: range, source: .reservedMemory(path + "/" + child.name)))
                    }
                } catch {
                    throw error.at(path + "/" + child.name)
                }
            }
        }
        reserved.append(contentsOf: try tree.firmwareRanges())
        let chosen = root.child(named: "chosen")
        if let chosen, let htab = try chosen.range(base: "linux,htab-base", size: "linux,htab-size", path: "/chosen") {
            reserved.append(DeviceTreeReservedRange(range: htab, source: .hashTable))
        }
        if let end = chosen?.property("linux,kernel-end") {
            let value: UInt64
            do throws(DeviceTreePropertyError) { value = try end.integer() } catch { throw error.at("/chosen") }
            if value > 0 {
                reserved.append(DeviceTreeReservedRange(range: PhysicalRange(unchecked: 0, PhysicalAddress(value)), source: .kernel))
            }
        }
        self.reserved = reserved

        if let crashRegion {
            self.crashRegion = crashRegion
        } else {
            self.crashRegion = try chosen?.range(base: "linux,crashkernel-base", size: "linux,crashkernel-size", path: "/chosen")
        }
        if let limit = chosen?.property("linux,memory-limit") {
            let value: UInt64
            do throws(DeviceTreePropertyError) { value = try limit.integer() } catch { throw error.at("/chosen") }
            memoryLimit = value == 0 ? nil : value
        } else {
            memoryLimit = nil
        }
    }

    /// Whether a root child is a memory node: `device_type = "memory"` (what the
    /// kernel looks for), or named `memory` / `memory@...` (what kexec-tools looks for).
    static func isMemoryNode(_ node: DeviceTreeNode) -> Bool {
        if let type = node.property("device_type"), let text = try? type.string() { return text == "memory" }
        return node.baseName == "memory"
    }

    /// All RAM: memory nodes and usable dynamic memory, merged.
    public var ram: PhysicalRangeSet {
        PhysicalRangeSet(memoryNodeRanges + dynamicMemoryRanges)
    }

    /// All reserved bytes, merged.
    public var reservedRanges: PhysicalRangeSet {
        PhysicalRangeSet(reserved.map(\.range))
    }

    /// The range the running kernel occupies, `[0, linux,kernel-end)`, if the tree says.
    public var kernelImage: PhysicalRange? {
        reserved.first { $0.source == .kernel }?.range
    }

    /// The layout as a ``MemoryMap``: System RAM (page-aligned inward) with the
    /// reserved ranges (page-aligned outward) carved out as reserved regions, the
    /// crash region, and the running kernel's image.
    public var memoryMap: MemoryMap {
        let page = pageSize.alignment
        var regions: [MemoryRegion] = []
        for range in ram.ranges {
            if let aligned = range.alignedInward(to: page) { regions.append(MemoryRegion(range: aligned, type: .systemRAM)) }
        }
        for range in reservedRanges.ranges {
            let aligned = (try? range.alignedOutward(to: page)) ?? range
            regions.append(MemoryRegion(range: aligned, type: .reserved))
        }
        return MemoryMap(regions: MemoryRegion.resolve(regions), crashRegions: crashRegion.map { [$0] } ?? [],
                         kernelImage: kernelImage.map { [$0] } ?? [])
    }

    /// The RAM a segment of a normal kexec may use: RAM minus every reserved
    /// range and the crash region, inside the RMA, in whole pages. What
    /// kexec-tools' `get_memory_ranges` leaves for `locate_hole` on ppc64.
    public var loadableMemory: PhysicalRangeSet {
        var free = ram.subtracting(reservedRanges)
        if let crashRegion { free = free.subtracting(PhysicalRangeSet([crashRegion])) }
        if let rma { free = free.intersection(PhysicalRangeSet([rma])) }
        return PhysicalRangeSet(free.ranges.compactMap { $0.alignedInward(to: pageSize.alignment) })
    }
}
