import Foundation
import Testing
@testable import ArchPPC
import KexecCore

/// Turns a tree into a `/proc/device-tree`-like directory, as the kernel shows it:
/// a directory per node, a file per property, and a `name` file per node holding
/// the node name without its unit address.
enum ProcDeviceTree {
    static func export(_ tree: DeviceTree, at root: String = "/proc/device-tree") -> InMemoryDeviceTreeFileSystem {
        var fileSystem = InMemoryDeviceTreeFileSystem()
        fileSystem.addDirectory(root)
        tree.forEachNode { path, node in
            let directory = path == "/" ? root : root + path
            fileSystem.addDirectory(directory)
            for property in node.properties { fileSystem.addFile(directory + "/" + property.name, contents: property.value) }
            if path != "/" { fileSystem.addFile(directory + "/name", contents: Array(node.baseName.utf8) + [0]) }
        }
        return fileSystem
    }

    /// Writes the same layout into a real directory.
    static func write(_ tree: DeviceTree, to url: URL) throws {
        let manager = FileManager.default
        try manager.createDirectory(at: url, withIntermediateDirectories: true)
        try tree.forEachNode { (path: String, node: DeviceTreeNode) throws in
            let directory = path == "/" ? url : url.appendingPathComponent(String(path.dropFirst()))
            try manager.createDirectory(at: directory, withIntermediateDirectories: true)
            for property in node.properties { try Data(property.value).write(to: directory.appendingPathComponent(property.name)) }
            if path != "/" { try Data(Array(node.baseName.utf8) + [0]).write(to: directory.appendingPathComponent("name")) }
        }
    }

    /// What reading such a directory gives: entries in fs2dt order, no
    /// reservation map, boot CPU 0.
    static func expected(from tree: DeviceTree) -> DeviceTree {
        func sorted(_ node: DeviceTreeNode) -> DeviceTreeNode {
            DeviceTreeNode(name: node.name,
                           properties: node.properties.sorted { DeviceTreeDirectoryReader.fs2dtOrder($0.name, $1.name) },
                           children: node.children.map(sorted).sorted { DeviceTreeDirectoryReader.fs2dtOrder($0.name, $1.name) })
        }
        return DeviceTree(root: sorted(tree.root))
    }
}

@Suite("Device tree directories (/proc/device-tree)")
struct DeviceTreeDirectoryTests {
    @Test(arguments: PPCFixtures.qemuBlobs + PPCFixtures.dtcBlobs)
    func inMemoryDirectoryReadsBack(name: String) throws {
        let tree = try PPCFixtures.tree(name)
        let fileSystem = ProcDeviceTree.export(tree)
        let read = try DeviceTreeDirectoryReader(fileSystem: fileSystem).read()
        #expect(read == ProcDeviceTree.expected(from: tree))
        #expect(read.checkInvariants() == nil)
        #expect(read.reservations.isEmpty && read.bootCPUPhysicalID == 0)
    }

    /// dtc sorts both trees (-s) and must print the same source, apart from the
    /// reservation map a directory cannot carry.
    @Test(arguments: PPCFixtures.qemuBlobs + PPCFixtures.dtcBlobs)
    func directoryTreeMatchesBlobForDtc(name: String) throws {
        guard DTC.isInstalled else {
            Issue.record("dtc (device-tree-compiler) is required for this test")
            return
        }
        let original = try PPCFixtures.blob(name)
        let read = try DeviceTreeDirectoryReader(fileSystem: ProcDeviceTree.export(DeviceTree(parsingBlob: original))).read()
        let ours = try DTC.run(["-q", "-s", "-I", "dtb", "-O", "dts"], input: try read.flattened())
        let theirs = try DTC.run(["-q", "-s", "-I", "dtb", "-O", "dts"], input: original)
        #expect(ours.status == 0 && theirs.status == 0)
        let withoutReservations = theirs.text.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("/memreserve/") }.joined(separator: "\n")
        #expect(!ours.text.isEmpty && ours.text == withoutReservations)
    }

    @Test func realDirectoryMatchesInMemory() throws {
        let tree = try PPCFixtures.tree("running-pseries")
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("dt-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        try ProcDeviceTree.write(tree, to: url)
        // Links are not followed: a link to a node or property is ignored.
        try FileManager.default.createSymbolicLink(atPath: url.appendingPathComponent("link-node").path,
                                                   withDestinationPath: url.appendingPathComponent("cpus").path)
        try FileManager.default.createSymbolicLink(atPath: url.appendingPathComponent("chosen/link-prop").path,
                                                   withDestinationPath: url.appendingPathComponent("chosen/bootargs").path)
        let read = try DeviceTreeDirectoryReader().read(at: url.path)
        #expect(read == ProcDeviceTree.expected(from: tree))
        let missing = url.appendingPathComponent("missing").path
        #expect(throws: DeviceTreeDirectoryError(path: missing, reason: .io(operation: "opendir", errno: 2))) {
            try DeviceTreeDirectoryReader().read(at: missing)
        }
    }

    @Test func nameFilesOnRequest() throws {
        var tree = DeviceTree()
        tree.root.children = [DeviceTreeNode(name: "memory@0", properties: [DeviceTreeProperty(name: "device_type", string: "memory")])]
        let fileSystem = ProcDeviceTree.export(tree, at: "/dt")
        let plain = try DeviceTreeDirectoryReader(fileSystem: fileSystem).read(at: "/dt")
        #expect(plain.node(at: "/memory@0")?.property("name") == nil)
        let named = try DeviceTreeDirectoryReader(fileSystem: fileSystem, includesNameProperties: true).read(at: "/dt")
        #expect(try named.node(at: "/memory@0")?.requiredProperty("name").string() == "memory")
    }

    @Test func fs2dtOrder() {
        let names = ["memory@10000000", "cpus", "memory@f000000", "memory@0", "chosen", "#size-cells", "aliases"]
        #expect(names.sorted(by: DeviceTreeDirectoryReader.fs2dtOrder)
                == ["#size-cells", "aliases", "chosen", "cpus", "memory@0", "memory@f000000", "memory@10000000"])
    }

    @Test func limitsAndBadNames() throws {
        var fileSystem = InMemoryDeviceTreeFileSystem()
        fileSystem.addFile("/dt/big", contents: Array(repeating: 1, count: 100))
        #expect(throws: DeviceTreeDirectoryError(path: "/dt/big", reason: .fileTooLarge(limit: 10))) {
            try DeviceTreeDirectoryReader(fileSystem: fileSystem, limits: .init(maximumPropertySize: 10)).read(at: "/dt")
        }
        fileSystem.addFile("/dt/also-big", contents: Array(repeating: 1, count: 100))
        #expect(throws: DeviceTreeDirectoryError(path: "/dt/big", reason: .tooManyBytes(limit: 150))) {
            try DeviceTreeDirectoryReader(fileSystem: fileSystem, limits: .init(maximumTotalBytes: 150)).read(at: "/dt")
        }
        #expect(throws: DeviceTreeDirectoryError(path: "/dt", reason: .tooManyEntries(limit: 1))) {
            try DeviceTreeDirectoryReader(fileSystem: fileSystem, limits: .init(maximumEntriesPerDirectory: 1)).read(at: "/dt")
        }
        var deep = InMemoryDeviceTreeFileSystem()
        deep.addDirectory("/dt/a/a/a/a")
        #expect(throws: DeviceTreeDirectoryError(path: "/dt/a/a/a/a", reason: .tooDeep(limit: 3))) {
            try DeviceTreeDirectoryReader(fileSystem: deep, limits: .init(maximumDepth: 3)).read(at: "/dt")
        }
        var spaced = InMemoryDeviceTreeFileSystem()
        spaced.addFile("/dt/bad name", contents: [])
        #expect(throws: DeviceTreeDirectoryError(path: "/dt/bad name", reason: .invalidName("bad name"))) {
            try DeviceTreeDirectoryReader(fileSystem: spaced).read(at: "/dt")
        }
        #expect(throws: DeviceTreeDirectoryError(path: "/nowhere", reason: .notADirectory)) {
            try DeviceTreeDirectoryReader(fileSystem: spaced).read(at: "/nowhere")
        }
        var linked = InMemoryDeviceTreeFileSystem()
        linked.addDirectory("/dt/node")
        linked.others.insert("/dt/link")
        #expect(try DeviceTreeDirectoryReader(fileSystem: linked).read(at: "/dt").root.children.map(\.name) == ["node"])
    }
}
