import Foundation
import Testing
@testable import CrashDump
import ElfNotes
import KexecCore
import SystemPackage

/// The real dumps: a Debian 6.1 amd64 vmcore when the VM harness has made one
/// (not in CI), and the committed fixture cut from it.
enum KernelLogRealDumps {
    static let vmcoreDirectory = "/var/cache/kexec-suite/vmcore"
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/log")
    static let fixtureCore = fixtures.appendingPathComponent("debian-6.1-amd64-log.elf")
    static let fixtureExpected = fixtures.appendingPathComponent("debian-6.1-amd64-log.vmcore-dmesg.txt")

    /// The real vmcore NAME.elf and kexec-tools' output for it, when both are complete.
    static func dump(_ name: String) -> (core: String, expected: String)? {
        let core = "\(vmcoreDirectory)/\(name).elf"
        guard FileManager.default.fileExists(atPath: "\(vmcoreDirectory)/READY-\(name)") else { return nil }
        for expected in ["\(vmcoreDirectory)/\(name).vmcore-dmesg.txt", "\(vmcoreDirectory)/\(name).elf.vmcore-dmesg.txt"]
        where FileManager.default.fileExists(atPath: expected) {
            return (core, expected)
        }
        return nil
    }

    static var small: (core: String, expected: String)? { dump("small") }

    /// The names of the real vmcores present.
    static var present: [String] { ["small", "big"].filter { dump($0) != nil } }

    static var hasFixture: Bool { FileManager.default.fileExists(atPath: fixtureCore.path) }

    /// Reads a core's log through the test kernel memory (text map with
    /// NUMBER(phys_base), direct map from the PT_LOADs), recording the pages read.
    /// With `wholeRing`, every page of the descriptor, info and text arrays is
    /// read too (vmcore-dmesg reads them whole).
    static func read(core: ElfCore, wholeRing: Bool = false) throws -> (log: KernelLog, pages: [KernelLogRecordingMemory.Page]) {
        let info = try #require(core.vmcoreInfo)
        let physBase = info.number("phys_base").map { UInt64(bitPattern: $0) }
        let memory = KernelLogRecordingMemory(KernelLogTestKernelMemory(core: core, physBase: physBase))
        let log = try KernelLog.read(from: memory, vmcoreInfo: info, architecture: try #require(core.architecture))
        if wholeRing {
            let logMemory = KernelLogMemory(kernel: memory, byteOrder: .little, pointerSize: 8)
            let ring = try LocklessRingBuffer(vmcoreInfo: info, memory: logMemory,
                                              prbSymbol: try #require(info.symbol("prb")).rawValue)
            let header = try ring.readHeader()
            let count = 1 << Int(header.countBits)
            _ = try memory.read(virtual: header.address, count: Int(try #require(info.size("printk_ringbuffer"))))
            _ = try memory.read(virtual: header.descs, count: count * Int(ring.layout.descSize))
            _ = try memory.read(virtual: header.infos, count: count * Int(ring.layout.infoSize))
            _ = try memory.read(virtual: header.data, count: 1 << Int(header.sizeBits))
        }
        return (log, memory.pages)
    }
}

/// Kernel memory that remembers which pages were translated, to cut a fixture
/// holding just the log.
final class KernelLogRecordingMemory: KernelMemory, @unchecked Sendable {
    struct Page: Hashable, Comparable {
        var virtual: UInt64
        var physical: UInt64
        static func < (lhs: Page, rhs: Page) -> Bool { (lhs.virtual, lhs.physical) < (rhs.virtual, rhs.physical) }
    }

    let base: any KernelMemory
    private var seen: Set<Page> = []
    private let lock = NSLock()

    init(_ base: any KernelMemory) { self.base = base }

    var physical: any PhysicalMemory { base.physical }

    func translate(_ virtual: UInt64) throws(CrashDumpError) -> UInt64 {
        let physical = try base.translate(virtual)
        lock.lock()
        seen.insert(Page(virtual: virtual & ~0xfff, physical: physical & ~0xfff))
        lock.unlock()
        return physical
    }

    var pages: [Page] {
        lock.lock()
        defer { lock.unlock() }
        return seen.sorted()
    }
}

@Suite("Kernel log: real vmcores")
struct KernelLogRealVmcoreTests {
    @Test(.enabled(if: !KernelLogRealDumps.present.isEmpty), arguments: KernelLogRealDumps.present)
    func debian61VmcoreMatchesVmcoreDmesg(name: String) throws {
        let (path, expectedPath) = try #require(KernelLogRealDumps.dump(name))
        let expected = [UInt8](try Data(contentsOf: URL(fileURLWithPath: expectedPath)))
        let core = try ElfCore.open(FilePath(path))
        let (log, _) = try KernelLogRealDumps.read(core: core)
        #expect(log.format == .locklessRingBuffer)
        #expect(log.issues.isEmpty)
        #expect(log.dmesgBytes == expected)
        // What the command uses (page tables checked) reads the same.
        #expect(try Vmcore.open(path: FilePath(path)).kernelLog().dmesgBytes == expected)
        #expect(log.panicMessage != nil)
    }

    @Test(.enabled(if: KernelLogRealDumps.hasFixture))
    func fixtureCutFromTheDebianVmcoreMatchesVmcoreDmesg() throws {
        let expected = [UInt8](try Data(contentsOf: KernelLogRealDumps.fixtureExpected))
        let core = try ElfCore(source: InMemoryCoreSource([UInt8](try Data(contentsOf: KernelLogRealDumps.fixtureCore))))
        let (log, _) = try KernelLogRealDumps.read(core: core)
        #expect(log.format == .locklessRingBuffer)
        #expect(log.issues.isEmpty)
        #expect(log.dmesgBytes == expected)
        let vmcore = try Vmcore(source: InMemoryCoreSource([UInt8](try Data(contentsOf: KernelLogRealDumps.fixtureCore))))
        #expect(try vmcore.kernelLog().dmesgBytes == expected)
        let messages = log.crashMessages
        #expect(messages.sysrq?.text == "sysrq: Trigger a crash")
        #expect(messages.panicReason == "sysrq triggered crash")
        #expect(log.panicMessage == "Kernel panic - not syncing: sysrq triggered crash")
        #expect(log.records.allSatisfy { $0.caller != nil && $0.sequence != nil })
        if KernelLogVmcoreDmesg.isInstalled {
            #expect(try KernelLogVmcoreDmesg.run(path: KernelLogRealDumps.fixtureCore.path).output == expected)
        }
    }

    /// Cuts the fixture from the real vmcore: only the pages the log reader
    /// touched, each as a PT_LOAD at its own virtual and physical address, plus
    /// the VMCOREINFO note. Runs when KERNEL_LOG_FIXTURE_OUT names a directory.
    @Test func writeFixtureWhenAsked() throws {
        guard let directory = ProcessInfo.processInfo.environment["KERNEL_LOG_FIXTURE_OUT"],
              let (path, expectedPath) = KernelLogRealDumps.small else { return }
        let core = try ElfCore.open(FilePath(path))
        let (log, pages) = try KernelLogRealDumps.read(core: core, wholeRing: true)
        #expect(log.issues.isEmpty)
        var loads: [ElfCoreWriter.Load] = []
        var index = 0
        while index < pages.count {
            var end = index + 1
            while end < pages.count && pages[end].virtual == pages[end - 1].virtual + 4096
                && pages[end].physical == pages[end - 1].physical + 4096 { end += 1 }
            let bytes = try core.readPhysical(at: PhysicalAddress(pages[index].physical), count: (end - index) * 4096)
            loads.append(.init(physicalStart: PhysicalAddress(pages[index].physical),
                               virtualStart: VirtualAddress(pages[index].virtual), bytes: bytes))
            index = end
        }
        let info = try #require(core.vmcoreInfo)
        let bytes = try ElfCoreWriter(architecture: .x86_64, noteSegments: [ElfNote.encode([info.note], byteOrder: .little)],
                                      loads: loads).bytes()
        let out = URL(fileURLWithPath: directory)
        try Data(bytes).write(to: out.appendingPathComponent(KernelLogRealDumps.fixtureCore.lastPathComponent))
        try Data(contentsOf: URL(fileURLWithPath: expectedPath))
            .write(to: out.appendingPathComponent(KernelLogRealDumps.fixtureExpected.lastPathComponent))
    }
}
