import Testing
@testable import ArchPPC
import KexecCore

/// The tree kexec hands to the next kernel, checked field by field and by dtc.
@Suite("Kexec device tree edits")
struct KexecDeviceTreeTests {
    static let initrd = PhysicalRange(unchecked: 0x0400_0000, 0x0440_0000)

    static func range(_ start: UInt64, _ size: UInt64) throws -> PhysicalRange {
        try PhysicalRange(start: PhysicalAddress(start), size: size)
    }

    @Test func normalKexecEdits() throws {
        let source = try PPCFixtures.tree("running-pseries")
        let options = KexecDeviceTreeOptions(commandLine: "console=hvc0 marker=ok", initrd: Self.initrd, bootCPUPhysicalID: 8)
        let dt = try KexecDeviceTree(source: source, options: options)
        let chosen = try #require(dt.tree.node(at: "/chosen"))
        #expect(chosen.properties.map(\.name) == [
            "linux,stdout-path", "linux,pci-probe-only", "linux,memory-limit",
            "linux,initrd-start", "linux,initrd-end", "bootargs", "linux,booted-from-kexec",
        ])
        #expect(chosen.property("linux,initrd-start")?.value == DeviceTreeProperty.encode(0x0400_0000, bytes: 8))
        #expect(chosen.property("linux,initrd-end")?.value == DeviceTreeProperty.encode(0x0440_0000, bytes: 8))
        #expect(try chosen.requiredProperty("bootargs").string() == "console=hvc0 marker=ok")
        #expect(chosen.property("linux,booted-from-kexec")?.isEmpty == true)
        #expect(dt.tree.node(at: "/pci@800000020000000")?.property("linux,pci-domain") == nil)
        #expect(dt.tree.node(at: "/pci@800000020000000")?.property("linux,tce-base") != nil)
        #expect(dt.tree.node(at: "/rtas")?.property("linux,rtas-entry") != nil)
        #expect(dt.tree.node(at: "/memory@0")?.property("linux,usable-memory") == nil)
        #expect(dt.tree.reservations == [
            try Self.range(0x3f80_0000, 0x10000),     // the source's map
            try Self.range(0x3f00_0000, 0x10_0000),   // /reserved-ranges
            try Self.range(0x2fff_0000, 0x10000),     // RTAS
            try Self.range(0x3000_0000, 0x100_0000),  // OPAL
            try Self.range(0x3d00_0000, 0x80_0000),   // TCE
            Self.initrd,
        ])
        #expect(dt.tree.bootCPUPhysicalID == 8)
        #expect(dt.tree.checkInvariants() == nil)

        // The blob: same size wherever it goes, its own entry last in the map.
        let low = try dt.blob(loadedAt: 0)
        let blob = try dt.blob(loadedAt: 0x2f00_0000)
        #expect(low.count == dt.size && blob.count == dt.size)
        let parsed = try DeviceTreeBlob(parsing: blob)
        #expect(parsed.header.version == 17 && parsed.header.lastCompatibleVersion == 16 && parsed.header.bootCPUPhysicalID == 8)
        #expect(parsed.tree.reservations.last == (try Self.range(0x2f00_0000, UInt64(dt.size))))
        #expect(Array(blob[dt.selfReservationOffset..<dt.selfReservationOffset + 16])
                == DeviceTreeProperty.encode(0x2f00_0000, bytes: 8) + DeviceTreeProperty.encode(UInt64(dt.size), bytes: 8))
        #expect(zip(low, blob).enumerated().filter { $0.element.0 != $0.element.1 }.allSatisfy {
            (dt.selfReservationOffset..<dt.selfReservationOffset + 8).contains($0.offset)
        })
        #expect(blob[FlattenedDeviceTreeHeader.bootCPUOffset + 3] == 8)
        #expect(throws: KexecDeviceTreeError.blobPastAddressSpace(address: PhysicalAddress(UInt64.max - 10), size: dt.size)) {
            try dt.blob(loadedAt: PhysicalAddress(UInt64.max - 10))
        }

        guard DTC.isInstalled else {
            Issue.record("dtc (device-tree-compiler) is required for this test")
            return
        }
        let dts = try DTC.decompile(blob)
        #expect(dts.status == 0, "\(dts.errors)")
        for line in ["/memreserve/\t0x000000002f000000 0x\(String(repeating: "0", count: 16 - String(dt.size, radix: 16).count))\(String(dt.size, radix: 16));",
                     "\t\tlinux,initrd-start = <0x00 0x4000000>;", "\t\tlinux,initrd-end = <0x00 0x4400000>;",
                     "\t\tbootargs = \"console=hvc0 marker=ok\";", "\t\tlinux,booted-from-kexec;", "\t\tlinux,memory-limit = <0x00 0x00>;"] {
            #expect(dts.text.contains(line + "\n"), "\(line)")
        }
        for gone in ["linux,kernel-end", "linux,crashkernel-base", "linux,crashkernel-size", "linux,htab-base", "linux,pci-domain", "linux,initrd-start = <0x00 0x3000000>"] {
            #expect(!dts.text.contains(gone), "\(gone)")
        }
        // dtc rewrites our blob into exactly the same bytes.
        #expect(try DTC.recompile(blob).output == blob)
    }

    @Test func kdumpUsableMemory() throws {
        let source = try PPCFixtures.tree("running-pseries")
        let layout = try DeviceTreeMemoryLayout(tree: source)
        let crashRegion = try #require(layout.crashRegion)
        #expect(crashRegion == (try Self.range(0x2000_0000, 0x1000_0000)))
        let crash = KexecCrashMemory(crashRegion: crashRegion, firmware: try source.firmwareRanges())
        #expect(crash.usableMemory.ranges == [try Self.range(0, 0x3100_0000), try Self.range(0x3d00_0000, 0x80_0000)])
        #expect(crash.reservations == [try Self.range(0x10000, 0x2000_0000 - 0x10000)])
        let elfcorehdr = try Self.range(0x2ff0_0000, 0x10000)
        let options = KexecDeviceTreeOptions(commandLine: "console=hvc0 elfcorehdr=785408K", crash: crash,
                                             additionalReservations: [elfcorehdr])
        let dt = try KexecDeviceTree(source: source, options: options)
        let low = try #require(dt.tree.node(at: "/memory@0"))
        #expect(low.properties.map(\.name) == ["device_type", "reg", "linux,usable-memory"])
        #expect(try low.requiredProperty("linux,usable-memory").cells() == [0, 0, 0, 0x3000_0000])
        let high = try #require(dt.tree.node(at: "/memory@30000000"))
        #expect(try high.requiredProperty("linux,usable-memory").cells() == [0, 0x3000_0000, 0, 0x100_0000, 0, 0x3d00_0000, 0, 0x80_0000])
        let drconf = try #require(dt.tree.node(at: "/ibm,dynamic-reconfiguration-memory"))
        #expect(drconf.properties.map(\.name) == ["ibm,lmb-size", "ibm,dynamic-memory", "linux,drconf-usable-memory"])
        // Two blocks outside the usable memory: a zero count (two cells) for each.
        #expect(drconf.property("linux,drconf-usable-memory")?.value == Array(repeating: 0, count: 16))
        #expect(dt.tree.node(at: "/chosen")?.property("linux,initrd-start") == nil)
        #expect(Array(dt.tree.reservations.suffix(2)) == crash.reservations + [elfcorehdr])
        #expect(try DTC.decompile(try dt.blob(loadedAt: 0x2fe0_0000)).status == 0)
    }

    @Test func usableMemoryCoversEveryRegEntryAndDynamicBlocks() throws {
        var tree = DeviceTree()
        tree.root.properties = [DeviceTreeProperty(name: "#address-cells", u32: 2), DeviceTreeProperty(name: "#size-cells", u32: 2)]
        tree.root.children = [
            DeviceTreeNode(name: "memory@0", properties: [
                DeviceTreeProperty(name: "device_type", string: "memory"),
                DeviceTreeProperty(name: "reg", cells: [0, 0, 0, 0x1000_0000, 1, 0, 0, 0x1000_0000]),
            ]),
            DeviceTreeNode(name: "memory@2000000000", properties: [
                DeviceTreeProperty(name: "reg", cells: [0x20, 0, 0, 0x1000_0000]),
            ]),
            DeviceTreeNode(name: "ibm,dynamic-reconfiguration-memory", properties: [
                DeviceTreeProperty(name: "ibm,lmb-size", u64: 0x1000_0000),
                // v2: 2 runs, 3 blocks at 0x4000_0000 (assigned), 1 block at 0x8000_0000.
                DeviceTreeProperty(name: "ibm,dynamic-memory-v2", cells: [2, 3, 0, 0x4000_0000, 0x8000_0000, 0, 8, 1, 0, 0x8000_0000, 0x8000_0003, 0, 0]),
            ]),
        ]
        let usable = PhysicalRangeSet([try Self.range(0x800_0000, 0x1000_0000), try Self.range(0x1_0000_0000, 0x1000),
                                       try Self.range(0x5000_0000, 0x800)])
        let dt = try KexecDeviceTree(source: tree, options: KexecDeviceTreeOptions(
            commandLine: "x", crash: KexecCrashMemory(usableMemory: usable), marksBootedFromKexec: false))
        #expect(try dt.tree.node(at: "/memory@0")?.requiredProperty("linux,usable-memory").cells()
                == [0, 0x800_0000, 0, 0x800_0000, 1, 0, 0, 0x1000])
        // Nothing usable in this node: one (0, 0) pair, as kexec-tools writes.
        #expect(try dt.tree.node(at: "/memory@2000000000")?.requiredProperty("linux,usable-memory").cells() == [0, 0, 0, 0])
        let drconf = try #require(dt.tree.node(at: "/ibm,dynamic-reconfiguration-memory")?.property("linux,drconf-usable-memory"))
        #expect(try drconf.cells() == [
            0, 0,                                  // block 0x4000_0000: nothing usable
            0, 1, 0, 0x5000_0000, 0, 0x800,        // block 0x5000_0000: one pair
            0, 0,                                  // block 0x6000_0000
            0, 0,                                  // block 0x8000_0000
        ])
        #expect(try DeviceTreeDynamicMemory(tree: tree)?.usableRanges() == [
            try Self.range(0x4000_0000, 0x1000_0000), try Self.range(0x5000_0000, 0x1000_0000), try Self.range(0x6000_0000, 0x1000_0000),
        ])
    }

    @Test func reusedInitrdAndQemuTree() throws {
        let source = try PPCFixtures.tree("running-pseries")
        let reused = try KexecDeviceTree(source: source, options: KexecDeviceTreeOptions(commandLine: "", reusesInitrd: true,
                                                                                        keepsSourceReservations: false))
        let chosen = try #require(reused.tree.node(at: "/chosen"))
        #expect(try chosen.requiredProperty("linux,initrd-start").integer() == 0x300_0000)
        #expect(try chosen.requiredProperty("bootargs").string() == "")
        #expect(reused.tree.reservations.last == (try Self.range(0x300_0000, 0x40_0000)))
        #expect(!reused.tree.reservations.contains(try Self.range(0x3f80_0000, 0x10000)))

        let qemu = try PPCFixtures.tree("pseries-2g-smp4")
        let dt = try KexecDeviceTree(source: qemu, options: KexecDeviceTreeOptions(commandLine: "console=hvc0", initrd: Self.initrd))
        #expect(dt.tree.reservations == [Self.initrd])
        let blob = try dt.blob(loadedAt: 0x2000_0000)
        #expect(try DeviceTree(parsingBlob: blob).node(at: "/chosen")?.requiredProperty("bootargs").string() == "console=hvc0")
        if DTC.isInstalled {
            #expect(try DTC.decompile(blob).status == 0)
            #expect(try DTC.recompile(blob).output == blob)
        }

        // A tree without /chosen gets one.
        let bare = try KexecDeviceTree(source: DeviceTree(), options: KexecDeviceTreeOptions(commandLine: "quiet"))
        #expect(try bare.tree.node(at: "/chosen")?.requiredProperty("bootargs").string() == "quiet")
        #expect(bare.tree.reservations.isEmpty)
    }

    @Test func commandLineChecks() throws {
        let tree = DeviceTree()
        #expect(throws: KexecDeviceTreeError.commandLineHasNUL) {
            try KexecDeviceTree(source: tree, options: KexecDeviceTreeOptions(commandLine: "a\u{0}b"))
        }
        #expect(throws: KexecDeviceTreeError.commandLineTooLong(length: 2048, limit: 2048)) {
            try KexecDeviceTree(source: tree, options: KexecDeviceTreeOptions(commandLine: String(repeating: "x", count: 2048)))
        }
        _ = try KexecDeviceTree(source: tree, options: KexecDeviceTreeOptions(commandLine: String(repeating: "x", count: 2047)))
    }

    @Test func malformedSourcePropertiesAreNamed() throws {
        var tree = try PPCFixtures.tree("running-pseries")
        tree.updateNode(at: "/rtas") { $0.setProperty(DeviceTreeProperty(name: "rtas-size", value: [1, 2, 3])) }
        #expect(throws: KexecDeviceTreeError.property(DeviceTreePropertyError(path: "/rtas", property: "rtas-size",
                                                                               reason: .wrongLength(actual: 3, expected: "4 or 8")))) {
            try KexecDeviceTree(source: tree, options: KexecDeviceTreeOptions(commandLine: ""))
        }
        var narrow = DeviceTree()
        narrow.root.properties = [DeviceTreeProperty(name: "#address-cells", u32: 1), DeviceTreeProperty(name: "#size-cells", u32: 1)]
        narrow.root.children = [DeviceTreeNode(name: "memory@0", properties: [DeviceTreeProperty(name: "reg", cells: [0xffff_0000, 0x2_0000])])]
        let crash = KexecCrashMemory(usableMemory: PhysicalRangeSet([try Self.range(0x1_0000_0000, 0x1000)]))
        #expect(throws: KexecDeviceTreeError.property(DeviceTreePropertyError(path: "/memory@0", property: "linux,usable-memory",
                                                                               reason: .valueDoesNotFit(value: 0x1_0000_0000, cells: 1)))) {
            try KexecDeviceTree(source: narrow, options: KexecDeviceTreeOptions(commandLine: "", crash: crash))
        }
    }
}
