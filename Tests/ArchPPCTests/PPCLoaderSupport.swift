import Foundation
import KexecTestSupport
import Testing
@testable import ArchPPC
@testable import ElfNotes
@testable import KexecCore
@testable import SegmentPlanner

/// Shared pieces of the PowerPC loader and purgatory tests.
enum PPCTestSupport {
    /// Kernels are built once per target and shape (clang at test time).
    static let kernels = KernelCache()

    final class KernelCache: @unchecked Sendable {
        private let lock = NSLock()
        private var built: [String: [UInt8]] = [:]

        /// A synthetic kernel; the same arguments give the same cached bytes.
        func kernel(_ target: SyntheticPPCElfKernel.Target, bssBytes: Int = 0x20000,
                    runAtLoad: UInt32 = 0x7275_6e30, entryOffset: Int = 0) throws -> [UInt8] {
            let key = "\(target.rawValue)-\(bssBytes)-\(runAtLoad)-\(entryOffset)"
            lock.lock()
            defer { lock.unlock() }
            if let bytes = built[key] { return bytes }
            let bytes = try SyntheticPPCElfKernel.build(target, bssBytes: bssBytes, runAtLoad: runAtLoad, entryOffset: entryOffset)
            built[key] = bytes
            return bytes
        }
    }

    /// The running pseries tree of the fixtures, with the hypervisor console's
    /// hcalls listed (as SLOF and qemu do) unless `console` is false.
    static func runningTree(console: Bool = true) throws -> DeviceTree {
        var tree = try PPCFixtures.tree("running-pseries")
        if console {
            tree.updateNode(at: "/rtas") { (rtas: inout DeviceTreeNode) in
                rtas.setProperty(DeviceTreeProperty(name: "ibm,hypertas-functions", strings: ["hcall-pft", "hcall-term", "hcall-dabr"]))
            }
        }
        return tree
    }

    static let crashState = CrashState(
        cpuNotes: [PhysicalRange(unchecked: 0x1f40_0000, 0x1f40_0200), PhysicalRange(unchecked: 0x1f41_0000, 0x1f41_0200)],
        vmcoreinfo: PhysicalRange(unchecked: 0x1f50_0000, 0x1f50_1000),
        kernelText: nil, pageOffset: PPCCrashHeader.pageOffset64)

    static func input(kernel: [UInt8], architecture: KexecArchitecture, tree: DeviceTree, kind: ImageKind = .normal,
                      initrd: [UInt8]? = Array(repeating: 0x1d, count: 300_000), commandLine: String = "console=hvc0 marker=ppc",
                      pageSize: PageSize? = nil) throws -> ImageLoadInput {
        ImageLoadInput(kernel: kernel, initrd: initrd, commandLine: commandLine, kind: kind, architecture: architecture,
                       memoryMap: MemoryMap(regions: []), pageSize: pageSize,
                       crashState: kind == .crash ? crashState : nil, deviceTree: try tree.flattened())
    }

    /// The purgatory of a plan, laid out as the loader did, and its symbols' values.
    struct PurgatoryView {
        let object: RelocatableObject
        let base: UInt64
        let bytes: [UInt8]
        let byteOrder: ByteOrder

        init(plan: ValidatedPlan) throws {
            let segment = try #require(plan.draft.segments.first { $0.role == .purgatory })
            let objectBytes = try #require(PPCPurgatory.objectBytes(for: plan.draft.architecture))
            object = try RelocatableObject(try ElfObject(parsing: objectBytes))
            base = segment.destination.lowerBound.rawValue
            bytes = segment.segment.buffer
            byteOrder = plan.draft.architecture.byteOrder
        }

        func offset(of symbol: String) throws -> Int {
            Int(try object.address(of: symbol, base: PhysicalAddress(base)).rawValue - base)
        }

        func bytes(of symbol: String, count: Int) throws -> [UInt8] {
            let start = try offset(of: symbol)
            return Array(bytes[start..<start + count])
        }

        func word64(_ symbol: String, at index: Int = 0) throws -> UInt64 {
            try ByteReader(bytes, byteOrder: byteOrder).peek(UInt64.self, at: try offset(of: symbol) + 8 * index, field: symbol)
        }

        func word32(_ symbol: String) throws -> UInt32 {
            try ByteReader(bytes, byteOrder: byteOrder).peek(UInt32.self, at: try offset(of: symbol), field: symbol)
        }
    }

    /// The segment holding `address`, and the offset of the address in it.
    static func locate(_ address: UInt64, in plan: ValidatedPlan) -> (PlannedSegment, Int)? {
        for segment in plan.draft.segments where segment.destination.contains(PhysicalAddress(address)) {
            return (segment, Int(address - segment.destination.lowerBound.rawValue))
        }
        return nil
    }

    /// `readelf ARGS FILE` on bytes.
    static func readelf(_ arguments: [String], _ bytes: [UInt8]) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("readelf-\(UUID().uuidString)")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["readelf"] + arguments + [url.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text
    }
}
