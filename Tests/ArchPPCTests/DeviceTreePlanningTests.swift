import Testing
@testable import ArchPPC
import KexecCore
import SegmentPlanner

/// The layout and the kexec tree together with the segment planner: what a ppc64
/// loader does with them.
@Suite("Planning with the device tree")
struct DeviceTreePlanningTests {
    /// Places the tree: a trial placement of a placeholder finds the address (the
    /// planner is a value), then the real bytes go exactly there.
    static func placeTree(_ dt: KexecDeviceTree, in planner: inout SegmentPlanner, maximum: PhysicalAddress) throws -> PhysicalAddress {
        var trial = planner
        let address = try trial.place(PlacementRequest(role: .deviceTree, bytes: try dt.blob(loadedAt: 0), maximum: maximum, strategy: .topDown))
        try planner.place(PlacementRequest(role: .deviceTree, bytes: try dt.blob(loadedAt: address), maximum: maximum, strategy: .exact(address)))
        return address
    }

    @Test func normalKexecStaysInLoadableMemoryAndTheRMA() throws {
        let tree = try PPCFixtures.tree("running-pseries")
        let layout = try DeviceTreeMemoryLayout(tree: tree)
        let rmaEnd = try #require(layout.rma?.upperBound)
        var planner = try SegmentPlanner(memoryMap: layout.memoryMap, kind: .normal, architecture: .ppc64le,
                                         pageSize: layout.pageSize, memoryMaximum: rmaEnd)
        try planner.place(PlacementRequest(role: .kernel, bytes: Array(repeating: 0x60, count: 3 << 20), alignment: .kib64,
                                           strategy: .bottomUp))
        let initrd = try planner.place(PlacementRequest(role: .initrd, bytes: Array(repeating: 7, count: 5 << 20), strategy: .bottomUp))
        let initrdRange = try PhysicalRange(start: initrd, size: 5 << 20)
        let dt = try KexecDeviceTree(source: tree, options: KexecDeviceTreeOptions(commandLine: "console=hvc0", initrd: initrdRange))
        let address = try Self.placeTree(dt, in: &planner, maximum: rmaEnd)
        for segment in planner.segments {
            #expect(layout.loadableMemory.contains(segment.segment.destination), "\(segment.role) at \(segment.segment.destination)")
        }
        // kexec-tools puts the tree in the highest hole; here that is just below the crash region.
        #expect(address.rawValue + UInt64(dt.size) <= 0x2000_0000 && address.rawValue >= 0x2000_0000 - 0x10000)
        let placed = try #require(planner.segments.last)
        let blob = try DeviceTreeBlob(parsing: placed.segment.buffer)
        #expect(blob.tree.reservations.last == (try PhysicalRange(start: address, size: UInt64(dt.size))))
        #expect(blob.tree.reservations.contains(initrdRange))
        #expect(try planner.draft(entry: 0x2a0_0000).validated().draft.segments.count == 3)
    }

    @Test func crashKernelStaysInTheCrashRegion() throws {
        let tree = try PPCFixtures.tree("running-pseries")
        let layout = try DeviceTreeMemoryLayout(tree: tree)
        let region = try #require(layout.crashRegion)
        var planner = try SegmentPlanner(memoryMap: layout.memoryMap, kind: .crash, architecture: .ppc64le, pageSize: layout.pageSize)
        try planner.place(PlacementRequest(role: .kernel, bytes: Array(repeating: 0x60, count: 3 << 20), alignment: .kib64,
                                           strategy: .bottomUp))
        let crash = KexecCrashMemory(crashRegion: region, firmware: try tree.firmwareRanges())
        let dt = try KexecDeviceTree(source: tree, options: KexecDeviceTreeOptions(commandLine: "console=hvc0", crash: crash))
        let address = try Self.placeTree(dt, in: &planner, maximum: region.upperBound)
        #expect(planner.segments.allSatisfy { region.contains($0.segment.destination) })
        // The RTAS area at the top of the crash region must stay free of segments
        // (kexec-tools excludes it): crash memory is System RAM inside the region.
        #expect(address.rawValue + UInt64(dt.size) <= 0x2fff_0000)
        // A window below RTAS given by hand agrees.
        var bounded = try SegmentPlanner(memoryMap: layout.memoryMap, kind: .crash, architecture: .ppc64le, pageSize: layout.pageSize,
                                         memoryMaximum: 0x2fff_0000)
        let below = try Self.placeTree(dt, in: &bounded, maximum: region.upperBound)
        #expect(below.rawValue + UInt64(dt.size) <= 0x2fff_0000)
    }
}
