import Foundation
import Testing
@testable import ArchPPC
import KexecCore

/// Parsing real blobs and writing them back: byte for byte, and judged by dtc.
@Suite("Device tree blobs: parse and write")
struct DeviceTreeBlobTests {
    @Test func qemuPseriesHeaderAndTree() throws {
        let bytes = try PPCFixtures.blob("pseries-1g")
        let blob = try DeviceTreeBlob(parsing: bytes)
        #expect(blob.header.version == 17)
        #expect(blob.header.lastCompatibleVersion == 16)
        #expect(blob.header.totalSize == UInt32(bytes.count))
        #expect(blob.header.reservationMapOffset == 40)
        #expect(blob.header.structureOffset == 56)
        #expect(blob.tree.reservations.isEmpty)
        #expect(blob.tree.bootCPUPhysicalID == 0)
        #expect(blob.tree.checkInvariants() == nil)
        let root = blob.tree.root
        #expect(try root.requiredProperty("compatible").strings() == ["qemu,pseries"])
        #expect(try root.addressCells() == 2 && root.sizeCells() == 2)
        #expect(try blob.tree.regEntries(at: "/memory@0") == [DeviceTreeRegEntry(address: 0, size: 1 << 30)])
        #expect(try blob.tree.regEntries(at: "/memory") == [DeviceTreeRegEntry(address: 0, size: 1 << 30)])
        let cpu = try #require(blob.tree.node(at: "/cpus/PowerPC,POWER9@0"))
        #expect(cpu.baseName == "PowerPC,POWER9" && cpu.unitAddress == "0")
        #expect(try cpu.requiredProperty("device_type").string() == "cpu")
        #expect(try cpu.requiredProperty("ibm,ppc-interrupt-server#s").cells() == [0])
        #expect(try blob.tree.regEntries(at: "/cpus/PowerPC,POWER9@0") == [DeviceTreeRegEntry(address: 0, size: 0)])
        #expect(try blob.tree.node(at: "/rtas")?.requiredProperty("rtas-size").u32() == 0x82c)
        #expect(blob.tree.node(at: "/chosen")?.property("bootargs") == nil)
        #expect(blob.tree.node(at: "/nonexistent") == nil)
        #expect(blob.tree.node(at: "relative") == nil)
    }

    @Test func dtcBlobHeaderAndReservations() throws {
        let tree = try PPCFixtures.tree("running-pseries")
        #expect(tree.reservations == [try PhysicalRange(start: 0x3f80_0000, size: 0x10000)])
        let chosen = try #require(tree.node(at: "/chosen"))
        #expect(try chosen.requiredProperty("bootargs").string() == "console=hvc0 root=/dev/vda crashkernel=256M")
        #expect(try chosen.requiredProperty("linux,crashkernel-base").integer() == 0x2000_0000)
        #expect(try tree.node(at: "/ibm,opal")?.requiredProperty("opal-base-address").u64() == 0x3000_0000)
        #expect(tree.node(at: "/reserved-memory/dynamic-pool")?.property("size") != nil)
    }

    /// qemu builds its tree with libfdt's read-write calls, so its strings block is
    /// in insertion order: the blob's own layout reproduces it exactly.
    @Test(arguments: PPCFixtures.qemuBlobs + PPCFixtures.dtcBlobs)
    func roundTripWithOwnLayoutIsByteIdentical(name: String) throws {
        let bytes = try PPCFixtures.blob(name)
        let blob = try DeviceTreeBlob(parsing: bytes)
        #expect(try blob.serialized() == bytes)
    }

    /// dtc's blobs come back byte for byte with the canonical layout: the writer
    /// follows dtc's order, alignment and string sharing.
    @Test(arguments: PPCFixtures.dtcBlobs)
    func canonicalLayoutReproducesDtcBytes(name: String) throws {
        let bytes = try PPCFixtures.blob(name)
        #expect(try PPCFixtures.tree(name).flattened() == bytes)
    }

    /// For qemu's blobs the canonical layout differs from qemu's (string order) but
    /// must equal what dtc itself writes for the same tree, be stable under a second
    /// round trip, and decompile to the same dts text as the original.
    @Test(arguments: PPCFixtures.qemuBlobs)
    func canonicalLayoutMatchesDtcRewrite(name: String) throws {
        let bytes = try PPCFixtures.blob(name)
        let canonical = try PPCFixtures.tree(name).flattened()
        #expect(try DeviceTree(parsingBlob: canonical).flattened() == canonical)
        #expect(try DeviceTree(parsingBlob: canonical) == PPCFixtures.tree(name))
        guard DTC.isInstalled else {
            Issue.record("dtc (device-tree-compiler) is required for this test")
            return
        }
        let dtcRewrite = try DTC.recompile(bytes)
        #expect(dtcRewrite.status == 0, "\(dtcRewrite.errors)")
        #expect(dtcRewrite.output == canonical)
        let original = try DTC.decompile(bytes)
        let ours = try DTC.decompile(canonical)
        #expect(original.status == 0 && ours.status == 0)
        #expect(!ours.text.isEmpty && ours.text == original.text)
    }

    /// A tree compiled by dtc from source, then parsed and rewritten, matches dtc
    /// byte for byte even where names share tails (`phandle`, `size`, `ranges`).
    @Test func sharedStringTails() throws {
        let bytes = try PPCFixtures.blob("running-pseries")
        let blob = try DeviceTreeBlob(parsing: bytes)
        let strings = blob.layout.stringsSeed
        #expect(String(decoding: strings, as: UTF8.self).components(separatedBy: "\0").contains("phandle") == false)
        #expect(blob.layout.nameOffsets["phandle"] == blob.layout.nameOffsets["linux,phandle"].map { $0 + 6 })
        #expect(blob.layout.freeSpace == 0)
    }

    @Test func freeSpaceIsKeptAndWritten() throws {
        guard DTC.isInstalled else {
            Issue.record("dtc (device-tree-compiler) is required for this test")
            return
        }
        let padded = try DTC.run(["-q", "-I", "dtb", "-O", "dtb", "-p", "4096"], input: try PPCFixtures.blob("running-pseries"))
        #expect(padded.status == 0)
        let blob = try DeviceTreeBlob(parsing: padded.output)
        #expect(blob.layout.freeSpace == 4096)
        #expect(try blob.serialized() == padded.output)
        var layout = DeviceTreeBlobLayout.canonical
        layout.freeSpace = 4096
        #expect(try blob.tree.flattened(layout: layout) == padded.output)
    }

    @Test func version16BlobsAreRead() throws {
        guard DTC.isInstalled else {
            Issue.record("dtc (device-tree-compiler) is required for this test")
            return
        }
        let source = try PPCFixtures.blob("running-pseries")
        let v16 = try DTC.run(["-q", "-I", "dtb", "-O", "dtb", "-V", "16"], input: source)
        #expect(v16.status == 0)
        let blob = try DeviceTreeBlob(parsing: v16.output)
        #expect(blob.header.version == 16 && blob.header.structureSize == nil && blob.header.size == 36)
        #expect(blob.tree == (try PPCFixtures.tree("running-pseries")))
        // Written back as version 17, which dtc reads as the same tree.
        #expect(try blob.tree.flattened() == source)
    }

    @Test func nopTokensAreSkipped() throws {
        // Replace the chosen node's first property (bootargs) with NOPs, as libfdt's
        // fdt_nop_property does.
        var tree = DeviceTree()
        tree.root.properties = [DeviceTreeProperty(name: "a", u32: 1), DeviceTreeProperty(name: "b", u32: 2)]
        var bytes = try tree.flattened()
        // Structure: BEGIN_NODE, name pad, PROP a (3 words + 1 value word) ...
        let structure = 40 + 16
        for word in 2..<6 { bytes.replaceSubrange(structure + 4 * word..<structure + 4 * word + 4, with: [0, 0, 0, 4]) }
        let parsed = try DeviceTree(parsingBlob: bytes)
        #expect(parsed.root.properties == [DeviceTreeProperty(name: "b", u32: 2)])
    }

    @Test func writerRefusesInvalidTrees() throws {
        var tree = DeviceTree()
        tree.root.children = [DeviceTreeNode(name: "a"), DeviceTreeNode(name: "a")]
        #expect(throws: DeviceTreeWriteError.duplicateNode(path: "/", name: "a")) { try tree.flattened() }
        tree.root.children = [DeviceTreeNode(name: "a/b")]
        #expect(throws: DeviceTreeWriteError.invalidNodeName(path: "/", name: "a/b")) { try tree.flattened() }
        tree.root.children = [DeviceTreeNode(name: "c", properties: [DeviceTreeProperty(flag: "x"), DeviceTreeProperty(flag: "x")])]
        #expect(throws: DeviceTreeWriteError.duplicateProperty(path: "/c", name: "x")) { try tree.flattened() }
        tree.root.children = [DeviceTreeNode(name: "c", properties: [DeviceTreeProperty(flag: "has space")])]
        #expect(throws: DeviceTreeWriteError.invalidPropertyName(path: "/c", name: "has space")) { try tree.flattened() }
        tree.root = DeviceTreeNode(name: "named")
        #expect(throws: DeviceTreeWriteError.rootNamed("named")) { try tree.flattened() }
        #expect(tree.checkInvariants() != nil)
        #expect(throws: DeviceTreeWriteError.invalidFreeSpace(-1)) {
            try DeviceTree().flattened(layout: DeviceTreeBlobLayout(freeSpace: -1))
        }
    }
}
