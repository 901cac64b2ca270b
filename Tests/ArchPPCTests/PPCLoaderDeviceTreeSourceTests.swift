import Foundation
import Testing
@testable import ArchPPC
import KexecCore

/// `--device-tree DIR|FILE`: a /proc/device-tree style directory is flattened,
/// a blob file is taken as it is, anything else is a typed error naming the path.
@Suite("PowerPC device tree source")
struct PPCLoaderDeviceTreeSourceTests {
    func fileSystem() throws -> InMemoryDeviceTreeFileSystem {
        var files = InMemoryDeviceTreeFileSystem()
        files.addFile("/dt/#address-cells", contents: [0, 0, 0, 2])
        files.addFile("/dt/#size-cells", contents: [0, 0, 0, 2])
        files.addFile("/dt/memory@0/reg", contents: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0])
        files.addFile("/dt/memory@0/device_type", contents: Array("memory\0".utf8))
        files.addFile("/dt/chosen/bootargs", contents: Array("quiet\0".utf8))
        files.addFile("/blob.dtb", contents: try PPCFixtures.blob("running-pseries"))
        files.addFile("/junk.dtb", contents: Array("not a tree".utf8))
        return files
    }

    @Test func directoryIsFlattened() throws {
        let blob = try PPCDeviceTreeSource.blob(at: "/dt", fileSystem: try fileSystem())
        let tree = try DeviceTree(parsingBlob: blob)
        #expect(try tree.node(at: "/chosen")?.property("bootargs")?.string() == "quiet")
        #expect(try DeviceTreeMemoryLayout(tree: tree).rma == PhysicalRange(unchecked: 0, 0x4000_0000))
    }

    @Test func blobIsTakenAsItIs() throws {
        let blob = try PPCDeviceTreeSource.blob(at: "/blob.dtb", fileSystem: try fileSystem())
        #expect(blob == (try PPCFixtures.blob("running-pseries")))
    }

    @Test func refusals() throws {
        #expect(throws: PPCDeviceTreeSourceError.self) { try PPCDeviceTreeSource.blob(at: "/junk.dtb", fileSystem: try fileSystem()) }
        #expect(throws: PPCDeviceTreeSourceError.self) { try PPCDeviceTreeSource.blob(at: "/missing", fileSystem: try fileSystem()) }
        // The real file system: a regular file is read as a blob (ENOTDIR from opendir).
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("dt-\(UUID().uuidString).dtb")
        try Data(try PPCFixtures.blob("pseries-1g")).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(try PPCDeviceTreeSource.blob(at: url.path) == (try PPCFixtures.blob("pseries-1g")))
        #expect(throws: PPCDeviceTreeSourceError.self) { try PPCDeviceTreeSource.blob(at: url.path + ".missing") }
    }
}
