import CrashDump
import ElfNotes
import Foundation
import KexecCore
import Synchronization
import SystemPackage
import Testing

/// A source that counts the reads that reach it.
final class CountingSource: DumpByteSource {
    let base: InMemoryCoreSource
    let reads = Mutex(0)

    init(_ bytes: [UInt8]) { base = InMemoryCoreSource(bytes) }

    var name: String { base.name }
    var size: UInt64 { base.size }

    func read(at offset: UInt64, count: Int) throws(ElfCoreError) -> [UInt8] {
        reads.withLock { $0 += 1 }
        return try base.read(at: offset, count: count)
    }

    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(CrashDumpError) {
        reads.withLock { $0 += 1 }
        let bytes: [UInt8]
        do {
            bytes = try base.read(at: offset, count: buffer.count)
        } catch {
            throw CrashDumpError(error)
        }
        buffer.copyBytes(from: bytes)
    }
}

struct ElfVmcoreMemoryTests {
    static func load(_ physical: UInt64, _ virtual: UInt64, _ bytes: [UInt8], memory: UInt64? = nil) -> ElfCoreWriter.Load {
        ElfCoreWriter.Load(physicalStart: PhysicalAddress(physical), virtualStart: VirtualAddress(virtual), bytes: bytes,
                           memorySize: memory)
    }

    @Test("the synthetic core reads page for page; the kernel-text load is not a second copy")
    func synthetic() throws {
        let source = CountingSource(try SyntheticKernelCore.core(kernelInfo: true))
        let core = try ElfCore(source: source)
        let memory = try ElfVmcoreMemory(core: core)
        #expect(memory.pageFrames == [0..<0x9f, 0x100..<0x1000])
        #expect(memory.maxPFN == 0x1000)
        #expect(memory.pageSize == 4096)
        let before = source.reads.withLock { $0 }
        let bytes = try memory.read(physical: 0x100000, count: 0xf00000)
        #expect(source.reads.withLock { $0 } == before + 1, "one read for a contiguous run")
        #expect(Array(bytes[0x100000..<0x101000]) == SyntheticKernelCore.page(0x200, kernelInfo: true))
        _ = try SyntheticComparison.compare(memory, kernelInfo: true)
        #expect(throws: CrashDumpError.notInDump(address: 0x9f000)) { try memory.read(physical: 0x9e000, count: 0x2000) }
        #expect(throws: CrashDumpError.notInDump(address: 0x1000000)) { try memory.read(physical: 0xfff000, count: 0x1001) }
        #expect(throws: CrashDumpError.self) { try memory.read(physical: UInt64.max - 10, count: 100) }
    }

    @Test("p_filesz < p_memsz: frames past the file are excluded; a partly held page reads zeros after the data")
    func filteredLoads() throws {
        let page = [UInt8](repeating: 0xab, count: 4096)
        let writer = ElfCoreWriter(architecture: .x86_64, noteSegments: [], loads: [
            Self.load(0, 0, page + page + Array(page.prefix(100)), memory: 0x5000),   // frames 0-1 whole, frame 2 partly
            Self.load(0x10000, 0, page, memory: 0x1000),
        ])
        let memory = try ElfVmcoreMemory(core: try ElfCore(source: InMemoryCoreSource(try writer.bytes())))
        #expect(memory.pageFrames == [0..<3, 0x10..<0x11])
        #expect(memory.maxPFN == 0x11)
        let third = try memory.read(physical: 0x2000, count: 4096)
        #expect(Array(third.prefix(100)) == [UInt8](repeating: 0xab, count: 100))
        #expect(third[100...].allSatisfy { $0 == 0 })
        #expect(throws: CrashDumpError.pageExcluded(pfn: 3)) { try memory.read(physical: 0x3000, count: 1) }
        #expect(throws: CrashDumpError.notInDump(address: 0x5000)) { try memory.read(physical: 0x5000, count: 1) }
    }

    @Test("a kernel-text load is used where no RAM load covers it")
    func kernelTextOnly() throws {
        let ram = [UInt8](repeating: 1, count: 0x2000)
        let text = [UInt8](repeating: 2, count: 0x3000)
        let writer = ElfCoreWriter(architecture: .x86_64, noteSegments: [], loads: [
            Self.load(0x1000, 0xffff_ffff_8100_1000, text),   // 0x1000..0x4000, text map
            Self.load(0x2000, 0xffff_8880_0000_2000, ram),    // 0x2000..0x4000, RAM
        ])
        let memory = try ElfVmcoreMemory(core: try ElfCore(source: InMemoryCoreSource(try writer.bytes())))
        #expect(memory.pageFrames == [1..<4])
        let bytes = try memory.read(physical: 0x1000, count: 0x3000)
        #expect(bytes == [UInt8](repeating: 2, count: 0x1000) + ram)
    }

    @Test("a file cut short is a typed error at the first missing byte")
    func truncatedFile() throws {
        let bytes = try SyntheticKernelCore.core(kernelInfo: false)
        let core = try ElfCore(source: InMemoryCoreSource(Array(bytes.prefix(bytes.count - 10_000))))
        let memory = try ElfVmcoreMemory(core: core)
        #expect(throws: CrashDumpError.self) { try memory.read(physical: 0xfff000, count: 4096) }
        #expect(try memory.read(physical: 0x100000, count: 4096) == SyntheticKernelCore.page(0x100, kernelInfo: false))
    }

    @Test("makedumpfile -E -d 31 output: kept frames read, filtered frames are excluded", .enabled(if: FormatFixtures.hasMakedumpfile))
    func makedumpfileElf() throws {
        let path = try FormatFixtures.makedumpfile(["-E", "-d", "31"], input: try FormatFixtures.kernelCore.get(), name: "dump.elf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let dump = try Vmcore.open(path: FilePath(path))
        #expect(dump.format == .elf && !dump.isFlattened)
        let outcome = try SyntheticComparison.compare(dump.memory, kernelInfo: true)
        #expect(outcome.dumped >= SyntheticComparison.level31Kept)
        // ELF output has no shared zero page: zero pages at the end of a load are cut off too.
        for pfn in outcome.excluded {
            #expect(!SyntheticKernelCore.keptAtLevel31(pfn) || SyntheticKernelCore.page(pfn, kernelInfo: true).allSatisfy { $0 == 0 })
        }
    }
}
