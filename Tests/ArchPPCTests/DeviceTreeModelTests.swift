import Testing
@testable import ArchPPC
import KexecCore

/// The tree model: typed property values, reg decoding, paths and edits.
@Suite("Device tree model")
struct DeviceTreeModelTests {
    @Test func numbersAndStrings() throws {
        #expect(try DeviceTreeProperty(name: "x", value: [0, 0, 1, 2]).u32() == 0x102)
        #expect(try DeviceTreeProperty(name: "x", u64: 0x1_2345_6789).u64() == 0x1_2345_6789)
        #expect(try DeviceTreeProperty(name: "x", u32: 7).integer() == 7)
        #expect(try DeviceTreeProperty(name: "x", u64: 1 << 40).integer() == 1 << 40)
        #expect(throws: DeviceTreePropertyError(property: "x", reason: .wrongLength(actual: 3, expected: "4 or 8"))) {
            try DeviceTreeProperty(name: "x", value: [1, 2, 3]).integer()
        }
        #expect(throws: DeviceTreePropertyError(property: "x", reason: .wrongLength(actual: 8, expected: "4"))) {
            try DeviceTreeProperty(name: "x", u64: 1).u32()
        }
        #expect(try DeviceTreeProperty(name: "x", cells: [1, 2, 0xffff_ffff]).cells() == [1, 2, 0xffff_ffff])
        #expect(throws: DeviceTreePropertyError(property: "x", reason: .wrongLength(actual: 5, expected: "a multiple of 4"))) {
            try DeviceTreeProperty(name: "x", value: [0, 0, 0, 0, 1]).cells()
        }
        #expect(try DeviceTreeProperty(name: "s", string: "console=hvc0").string() == "console=hvc0")
        #expect(DeviceTreeProperty(name: "s", string: "ab").value == [0x61, 0x62, 0])
        #expect(throws: DeviceTreePropertyError(property: "s", reason: .notAString)) { try DeviceTreeProperty(name: "s", value: [0x61]).string() }
        #expect(throws: DeviceTreePropertyError(property: "s", reason: .notAString)) { try DeviceTreeProperty(name: "s", value: [0x61, 0, 0x62, 0]).string() }
        #expect(throws: DeviceTreePropertyError(property: "s", reason: .notAString)) { try DeviceTreeProperty(name: "s", value: [0xff, 0]).string() }
        #expect(try DeviceTreeProperty(name: "c", strings: ["ibm,opal-v3", "ibm,opal-v2"]).strings() == ["ibm,opal-v3", "ibm,opal-v2"])
        #expect(try DeviceTreeProperty(name: "c", value: []).strings() == [])
        #expect(try DeviceTreeProperty(name: "c", value: [0x61, 0, 0, 0x62, 0]).strings() == ["a", "", "b"])
        #expect(DeviceTreeProperty(flag: "interrupt-controller").isEmpty)
    }

    @Test func regDecodingHonoursCells() throws {
        let two = DeviceTreeProperty(name: "reg", cells: [0, 0x3000_0000, 0, 0x5000_0000, 1, 0, 0, 0x1000])
        #expect(try two.regEntries(addressCells: 2, sizeCells: 2) == [
            DeviceTreeRegEntry(address: 0x3000_0000, size: 0x5000_0000), DeviceTreeRegEntry(address: 1 << 32, size: 0x1000),
        ])
        #expect(try two.regEntries(addressCells: 1, sizeCells: 1).count == 4)
        #expect(try DeviceTreeProperty(name: "reg", cells: [8]).regEntries(addressCells: 1, sizeCells: 0) == [DeviceTreeRegEntry(address: 8, size: 0)])
        // Three cells fit when the top one is zero (a 96-bit number that is small).
        #expect(try DeviceTreeProperty(name: "reg", cells: [0, 1, 2, 3]).regEntries(addressCells: 3, sizeCells: 1)
                == [DeviceTreeRegEntry(address: 0x1_0000_0002, size: 3)])
        #expect(throws: DeviceTreePropertyError(property: "reg", reason: .valueTooWide(cells: 3))) {
            try DeviceTreeProperty(name: "reg", cells: [0x8000_0000, 1, 2, 3]).regEntries(addressCells: 3, sizeCells: 1)
        }
        #expect(throws: DeviceTreePropertyError(property: "reg", reason: .wrongLength(actual: 12, expected: "a multiple of 16"))) {
            try DeviceTreeProperty(name: "reg", cells: [0, 1, 2]).regEntries(addressCells: 2, sizeCells: 2)
        }
        #expect(throws: DeviceTreePropertyError(property: "reg", reason: .invalidCellCount(5))) {
            try DeviceTreeProperty(name: "reg", cells: [0]).regEntries(addressCells: 5, sizeCells: 0)
        }
        #expect(throws: DeviceTreePropertyError(property: "reg", reason: .rangeOverflow(base: 0xffff_ffff_ffff_f000, size: 0x2000))) {
            try DeviceTreeProperty(name: "reg", cells: [0xffff_ffff, 0xffff_f000, 0, 0x2000]).physicalRanges(addressCells: 2, sizeCells: 2)
        }
        let ranges = [try PhysicalRange(start: 0x1000, size: 0x2000)]
        #expect(try DeviceTreeProperty(name: "reg", ranges: ranges, addressCells: 1, sizeCells: 1).cells() == [0x1000, 0x2000])
        #expect(throws: DeviceTreePropertyError(property: "reg", reason: .valueDoesNotFit(value: 1 << 32, cells: 1))) {
            try DeviceTreeProperty(name: "reg", ranges: [try PhysicalRange(start: PhysicalAddress(1 << 32), size: 1)], addressCells: 1, sizeCells: 1)
        }
        #expect(try DeviceTreeProperty(name: "reg", ranges: ranges, addressCells: 3, sizeCells: 2).cells() == [0, 0, 0x1000, 0, 0x2000])
    }

    @Test func cellCountsAndDefaults() throws {
        var node = DeviceTreeNode(name: "bus")
        #expect(try node.addressCells() == 2 && node.sizeCells() == 1)
        node.setProperty(DeviceTreeProperty(name: "#address-cells", u32: 1))
        node.setProperty(DeviceTreeProperty(name: "#size-cells", u32: 0))
        #expect(try node.addressCells() == 1 && node.sizeCells() == 0)
        node.setProperty(DeviceTreeProperty(name: "#size-cells", u32: 9))
        #expect(throws: DeviceTreePropertyError(property: "#size-cells", reason: .invalidCellCount(9))) { try node.sizeCells() }
        #expect(DeviceTreePropertyError(path: "/bus", property: "#size-cells", reason: .invalidCellCount(9)).description
                == "device tree property /bus/#size-cells is 9, outside 0...4")
    }

    @Test func nodesAndPaths() throws {
        var tree = try PPCFixtures.tree("running-pseries")
        #expect(tree.node(at: "/")?.name == "")
        #expect(tree.node(at: "/memory")?.name == "memory@30000000")   // first by base name, as libfdt
        #expect(tree.node(at: "/memory@0")?.name == "memory@0")
        #expect(tree.node(at: "/memory@1") == nil)
        #expect(tree.node(at: "//cpus///PowerPC,POWER9@8")?.unitAddress == "8")
        #expect(tree.node(at: "/cpus/PowerPC,POWER9")?.name == "PowerPC,POWER9@0")
        var paths: [String] = []
        tree.forEachNode { path, _ in paths.append(path) }
        #expect(paths.prefix(6) == ["/", "/chosen", "/rtas", "/ibm,opal", "/reserved-memory", "/reserved-memory/firmware@3e000000"])
        #expect(paths.count == tree.root.nodeCount)

        let created = tree.ensureNode(at: "/a/b/c")
        let createdAgain = tree.ensureNode(at: "/a/b")
        #expect(created && !createdAgain)
        #expect(tree.node(at: "/a/b/c") != nil)
        let removed = tree.removeNode(at: "/a")
        #expect(removed?.nodeCount == 3)
        let removedAgain = tree.removeNode(at: "/a")
        let removedRoot = tree.removeNode(at: "/")
        #expect(removedAgain == nil && removedRoot == nil)
        let changed = tree.updateNode(at: "/chosen") { node -> Int in
            node.setProperty(DeviceTreeProperty(name: "bootargs", string: "new"))
            node.setProperty(DeviceTreeProperty(flag: "z"), after: "bootargs")
            node.setProperty(DeviceTreeProperty(flag: "last"), after: "missing")
            return node.properties.count
        }
        #expect(changed == 13)
        let chosen = try #require(tree.node(at: "/chosen"))
        #expect(chosen.properties.first?.name == "bootargs" && chosen.properties[1].name == "z" && chosen.properties.last?.name == "last")
        #expect(try chosen.requiredProperty("bootargs").string() == "new")
        let missing = tree.updateNode(at: "/nothing") { _ in 1 }
        #expect(missing == nil)
        var copy = tree
        let dropped = copy.updateNode(at: "/chosen") { $0.removeProperty("z") }
        #expect(dropped??.name == "z")
        #expect(copy != tree)
        #expect(throws: DeviceTreePropertyError(property: "absent", reason: .missing)) { try chosen.requiredProperty("absent") }
        #expect(tree.checkInvariants() == nil)
    }

    @Test func cpus() throws {
        let tree = try PPCFixtures.tree("running-pseries")
        #expect(try tree.cpus() == [DeviceTreeCPU(path: "/cpus/PowerPC,POWER9@0", threadIDs: [0, 1]),
                                    DeviceTreeCPU(path: "/cpus/PowerPC,POWER9@8", threadIDs: [8, 9])])
        let smp = try PPCFixtures.tree("pseries-2g-smp4")
        #expect(try smp.cpus().map(\.threadIDs) == [[0], [1], [2], [3]])
        let powernv = try PPCFixtures.tree("powernv")
        #expect(try !powernv.cpus().isEmpty)
    }

    @Test func invariantsNameTheCulprit() throws {
        var tree = DeviceTree()
        tree.root.children = [DeviceTreeNode(name: "x", properties: [DeviceTreeProperty(flag: "p"), DeviceTreeProperty(flag: "p")])]
        #expect(tree.checkInvariants() == "/x: duplicate property \"p\"")
        tree.root.children = [DeviceTreeNode(name: "")]
        #expect(tree.checkInvariants() == "/: invalid node name \"\"")
    }
}
