import Testing
@testable import ArchPPC
import KexecCore

/// The memory map a planner gets from a PowerPC tree.
@Suite("Memory layout from the device tree")
struct DeviceTreeMemoryLayoutTests {
    static func range(_ start: UInt64, _ end: UInt64) -> PhysicalRange {
        PhysicalRange(unchecked: PhysicalAddress(start), PhysicalAddress(end))
    }

    @Test func runningPseries() throws {
        let layout = try DeviceTreeMemoryLayout(tree: try PPCFixtures.tree("running-pseries"))
        #expect(layout.pageSize == .kib64)
        #expect(layout.memoryNodeRanges == [Self.range(0x3000_0000, 0x8000_0000), Self.range(0, 0x3000_0000)])
        // The RMA is memory@0's range although memory@30000000 comes first in the tree.
        #expect(layout.rma == Self.range(0, 0x3000_0000))
        #expect(layout.dynamicMemoryRanges == [Self.range(0x8000_0000, 0x9000_0000)])
        #expect(layout.ram.ranges == [Self.range(0, 0x9000_0000)])
        #expect(layout.reserved == [
            DeviceTreeReservedRange(range: Self.range(0x3f80_0000, 0x3f81_0000), source: .reservationMap),
            DeviceTreeReservedRange(range: Self.range(0x3f00_0000, 0x3f10_0000), source: .reservedRanges),
            DeviceTreeReservedRange(range: Self.range(0x3e00_0000, 0x3e20_0000), source: .reservedMemory("/reserved-memory/firmware@3e000000")),
            DeviceTreeReservedRange(range: Self.range(0x2fff_0000, 0x3000_0000), source: .rtas("/rtas")),
            DeviceTreeReservedRange(range: Self.range(0x3000_0000, 0x3100_0000), source: .opal("/ibm,opal")),
            DeviceTreeReservedRange(range: Self.range(0x3d00_0000, 0x3d80_0000), source: .tce("/pci@800000020000000")),
            DeviceTreeReservedRange(range: Self.range(0x3c00_0000, 0x3d00_0000), source: .hashTable),
            DeviceTreeReservedRange(range: Self.range(0, 0x2a0_0000), source: .kernel),
        ])
        #expect(layout.crashRegion == Self.range(0x2000_0000, 0x3000_0000))
        #expect(layout.memoryLimit == nil)
        #expect(layout.kernelImage == Self.range(0, 0x2a0_0000))

        let map = layout.memoryMap
        #expect(map.regions == [
            MemoryRegion(range: Self.range(0, 0x2a0_0000), type: .reserved),
            MemoryRegion(range: Self.range(0x2a0_0000, 0x2fff_0000), type: .systemRAM),
            MemoryRegion(range: Self.range(0x2fff_0000, 0x3100_0000), type: .reserved),
            MemoryRegion(range: Self.range(0x3100_0000, 0x3c00_0000), type: .systemRAM),
            MemoryRegion(range: Self.range(0x3c00_0000, 0x3d80_0000), type: .reserved),
            MemoryRegion(range: Self.range(0x3d80_0000, 0x3e00_0000), type: .systemRAM),
            MemoryRegion(range: Self.range(0x3e00_0000, 0x3e20_0000), type: .reserved),
            MemoryRegion(range: Self.range(0x3e20_0000, 0x3f00_0000), type: .systemRAM),
            MemoryRegion(range: Self.range(0x3f00_0000, 0x3f10_0000), type: .reserved),
            MemoryRegion(range: Self.range(0x3f10_0000, 0x3f80_0000), type: .systemRAM),
            MemoryRegion(range: Self.range(0x3f80_0000, 0x3f81_0000), type: .reserved),
            MemoryRegion(range: Self.range(0x3f81_0000, 0x9000_0000), type: .systemRAM),
        ])
        #expect(map.crashRegions == [Self.range(0x2000_0000, 0x3000_0000)])
        #expect(map.kernelImage == [Self.range(0, 0x2a0_0000)])
        // What a normal kexec may use: RAM past the kernel, below the crash region, inside the RMA.
        #expect(layout.loadableMemory.ranges == [Self.range(0x2a0_0000, 0x2000_0000)])
    }

    /// (fixture, RAM size, RMA end).
    static let qemuCases: [(String, UInt64, UInt64)] = [
        ("pseries-1g", 0x4000_0000, 0x4000_0000), ("pseries-2g-smp4", 0x8000_0000, 0x8000_0000),
        ("pseries-numa", 0x4000_0000, 0x2000_0000), ("powernv", 0x4000_0000, 0x4000_0000),
    ]

    @Test(arguments: qemuCases)
    func qemuTrees(name: String, ram: UInt64, rmaEnd: UInt64) throws {
        let layout = try DeviceTreeMemoryLayout(tree: try PPCFixtures.tree(name))
        #expect(layout.ram.ranges == [Self.range(0, ram)])
        #expect(layout.rma == Self.range(0, rmaEnd))
        #expect(layout.reserved.isEmpty && layout.crashRegion == nil)
        #expect(layout.memoryMap.regions == [MemoryRegion(range: Self.range(0, ram), type: .systemRAM)])
        #expect(layout.loadableMemory.ranges == [Self.range(0, rmaEnd)])
    }

    @Test func givenCrashRegionAndPageRounding() throws {
        var tree = DeviceTree()
        tree.root.properties = [DeviceTreeProperty(name: "#address-cells", u32: 1), DeviceTreeProperty(name: "#size-cells", u32: 1)]
        tree.root.children = [
            DeviceTreeNode(name: "memory", properties: [DeviceTreeProperty(name: "reg", cells: [0, 0x1000_0000, 0x2000_0000, 0x0800_1000])]),
            DeviceTreeNode(name: "chosen", properties: [DeviceTreeProperty(name: "linux,memory-limit", u32: 0x1800_0000),
                                                        DeviceTreeProperty(name: "linux,kernel-end", u32: 0x12_3456)]),
        ]
        tree.reservations = [Self.range(0x0900_1234, 0x0900_2000)]
        let crash = Self.range(0x0800_0000, 0x0900_0000)
        let layout = try DeviceTreeDeviceTreeLayoutHelper.layout(tree, pageSize: .kib4, crash: crash)
        #expect(layout.crashRegion == crash && layout.memoryLimit == 0x1800_0000)
        #expect(layout.rma == Self.range(0, 0x1000_0000))
        #expect(layout.memoryMap.regions == [
            MemoryRegion(range: Self.range(0, 0x12_4000), type: .reserved),
            MemoryRegion(range: Self.range(0x12_4000, 0x0900_1000), type: .systemRAM),
            MemoryRegion(range: Self.range(0x0900_1000, 0x0900_2000), type: .reserved),
            MemoryRegion(range: Self.range(0x0900_2000, 0x1000_0000), type: .systemRAM),
            MemoryRegion(range: Self.range(0x2000_0000, 0x2800_1000), type: .systemRAM),
        ])
        let coarse = try DeviceTreeDeviceTreeLayoutHelper.layout(tree, pageSize: .kib64, crash: crash)
        #expect(coarse.memoryMap.regions == [
            MemoryRegion(range: Self.range(0, 0x13_0000), type: .reserved),
            MemoryRegion(range: Self.range(0x13_0000, 0x0900_0000), type: .systemRAM),
            MemoryRegion(range: Self.range(0x0900_0000, 0x0901_0000), type: .reserved),
            MemoryRegion(range: Self.range(0x0901_0000, 0x1000_0000), type: .systemRAM),
            MemoryRegion(range: Self.range(0x2000_0000, 0x2800_0000), type: .systemRAM),
        ])
        #expect(coarse.loadableMemory.ranges == [Self.range(0x13_0000, 0x0800_0000), Self.range(0x0901_0000, 0x1000_0000)])
    }

    @Test func malformedPropertiesAreNamed() throws {
        var tree = try PPCFixtures.tree("running-pseries")
        tree.updateNode(at: "/memory@0") { $0.setProperty(DeviceTreeProperty(name: "reg", cells: [0, 0, 0])) }
        #expect(throws: DeviceTreePropertyError(path: "/memory@0", property: "reg", reason: .wrongLength(actual: 12, expected: "a multiple of 16"))) {
            try DeviceTreeMemoryLayout(tree: tree)
        }
        tree = try PPCFixtures.tree("running-pseries")
        tree.updateNode(at: "/chosen") { $0.setProperty(DeviceTreeProperty(name: "linux,crashkernel-size", value: [1])) }
        #expect(throws: DeviceTreePropertyError(path: "/chosen", property: "linux,crashkernel-size", reason: .wrongLength(actual: 1, expected: "4 or 8"))) {
            try DeviceTreeMemoryLayout(tree: tree)
        }
        tree = try PPCFixtures.tree("running-pseries")
        tree.updateNode(at: "/ibm,opal") { $0.setProperty(DeviceTreeProperty(name: "opal-base-address", u64: UInt64.max - 1)) }
        #expect(throws: DeviceTreePropertyError(path: "/ibm,opal", property: "opal-base-address",
                                                reason: .rangeOverflow(base: UInt64.max - 1, size: 0x100_0000))) {
            try DeviceTreeMemoryLayout(tree: tree)
        }
        tree = try PPCFixtures.tree("running-pseries")
        tree.updateNode(at: "/ibm,dynamic-reconfiguration-memory") {
            $0.setProperty(DeviceTreeProperty(name: "ibm,dynamic-memory-v2", cells: [1, 0xffff_ffff, 0, 0, 0, 0, 8]))
            $0.removeProperty("ibm,dynamic-memory")
        }
        #expect(throws: DeviceTreePropertyError(path: "/ibm,dynamic-reconfiguration-memory", property: "ibm,dynamic-memory-v2",
                                                reason: .malformed("more than \(DeviceTreeDynamicMemory.blockLimit) memory blocks"))) {
            try DeviceTreeMemoryLayout(tree: tree)
        }
    }
}

/// Builds a layout with an explicit crash region and page size.
enum DeviceTreeDeviceTreeLayoutHelper {
    static func layout(_ tree: DeviceTree, pageSize: PageSize, crash: PhysicalRange) throws -> DeviceTreeMemoryLayout {
        try DeviceTreeMemoryLayout(tree: tree, pageSize: pageSize, crashRegion: crash)
    }
}
