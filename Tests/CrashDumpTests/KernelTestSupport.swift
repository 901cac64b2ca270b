import Foundation
import Synchronization
@testable import CrashDump
import ElfNotes
import KexecCore

/// A crashed machine's physical memory built by hand for the kernel-layer tests:
/// sparse 4 KiB pages (unwritten pages of the declared RAM read as zeros), and a
/// count of the reads so tests can check caching and coalescing.
final class KernelTestMemory: PhysicalMemory, @unchecked Sendable {
    // @unchecked: tests mutate it only while building, before any concurrent use;
    // the read counter is behind a mutex.
    let pageSize = 4096
    var pages: [UInt64: [UInt8]] = [:]
    var pageFrames: [Range<UInt64>]
    let reads = Mutex<Int>(0)

    /// Memory whose RAM is the page frames `frames` (sorted, disjoint).
    init(frames: [Range<UInt64>]) {
        pageFrames = frames
    }

    var maxPFN: UInt64 { pageFrames.last?.upperBound ?? 0 }
    var readCount: Int { reads.withLock { $0 } }
    func resetReads() { reads.withLock { $0 = 0 } }

    func write(_ bytes: [UInt8], at address: UInt64) {
        for (index, byte) in bytes.enumerated() {
            let current = address + UInt64(index)
            let pfn = current / 4096
            if pages[pfn] == nil { pages[pfn] = [UInt8](repeating: 0, count: 4096) }
            pages[pfn]![Int(current % 4096)] = byte
        }
    }

    func write64(_ value: UInt64, at address: UInt64) {
        write(withUnsafeBytes(of: value.littleEndian, Array.init), at: address)
    }

    func write32(_ value: UInt32, at address: UInt64) {
        write(withUnsafeBytes(of: value.littleEndian, Array.init), at: address)
    }

    func read(physical address: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(CrashDumpError) {
        reads.withLock { $0 += 1 }
        var done = 0
        while done < buffer.count {
            let current = address + UInt64(done)
            let pfn = current / 4096
            guard contains(pfn: pfn) else { throw .notInDump(address: current) }
            let offset = Int(current % 4096)
            let length = min(4096 - offset, buffer.count - done)
            let target = UnsafeMutableRawBufferPointer(rebasing: buffer[done..<done + length])
            if let page = pages[pfn] {
                page.withUnsafeBytes { target.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<offset + length])) }
            } else {
                target.initializeMemory(as: UInt8.self, repeating: 0)
            }
            done += length
        }
    }
}

/// Kernel memory that maps `[base, base + 2^52)` linearly onto physical 0, like
/// a direct map: the page-array tests use it so they do not depend on page tables.
struct LinearTestKernelMemory: KernelMappingMemory {
    let physical: any PhysicalMemory
    var base: UInt64 = 0xffff_8880_0000_0000

    func mapping(of virtual: UInt64) throws(CrashDumpError) -> KernelMapping {
        guard virtual >= base, virtual - base < 1 << 52 else { throw .notMapped(virtual: virtual, reason: "below the test map") }
        return KernelMapping(virtualStart: base, physicalStart: 0, size: 1 << 52, source: .directMap)
    }

    func translate(_ virtual: UInt64) throws(CrashDumpError) -> UInt64 {
        let found = try mapping(of: virtual)
        return virtual - found.virtualStart
    }
}

/// Builds x86_64 page tables in a ``KernelTestMemory``: tables are taken from a
/// pool of physical pages, entries are present + writable.
struct X86_64TableBuilder {
    let memory: KernelTestMemory
    let fiveLevel: Bool
    let root: UInt64
    var nextTable: UInt64
    var extraBits: UInt64 = 0

    init(memory: KernelTestMemory, fiveLevel: Bool, tablePool: UInt64) {
        self.memory = memory
        self.fiveLevel = fiveLevel
        root = tablePool
        nextTable = tablePool + 4096
    }

    private var shifts: [UInt64] { fiveLevel ? [48, 39, 30, 21, 12] : [39, 30, 21, 12] }

    private func entry(at address: UInt64) -> UInt64 {
        guard let page = memory.pages[address / 4096] else { return 0 }
        let offset = Int(address % 4096)
        return page[offset..<offset + 8].reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Maps `virtual` to `physical` with a page of `1 << leafShift` bytes (12, 21 or 30).
    mutating func map(_ virtual: UInt64, to physical: UInt64, leafShift: UInt64 = 12) {
        var table = root
        for shift in shifts {
            let slot = table + ((virtual >> shift) & 511) * 8
            if shift == leafShift {
                let large: UInt64 = leafShift > 12 ? 0x80 : 0
                memory.write64(physical | 0x63 | large | extraBits, at: slot)
                return
            }
            var existing = entry(at: slot)
            if existing & 1 == 0 {
                existing = nextTable | 0x63 | extraBits
                nextTable += 4096
                memory.write64(existing, at: slot)
            }
            table = existing & 0x000f_ffff_ffff_f000 & ~extraBits
        }
    }

    /// Writes a raw entry at the level whose index shift is `shift` for `virtual`
    /// (the tables above must exist).
    func writeRaw(_ value: UInt64, forVirtual virtual: UInt64, atShift target: UInt64) {
        var table = root
        for shift in shifts {
            let slot = table + ((virtual >> shift) & 511) * 8
            if shift == target {
                memory.write64(value, at: slot)
                return
            }
            table = entry(at: slot) & 0x000f_ffff_ffff_f000 & ~extraBits
        }
    }
}

/// Physical memory over an ELF core's PT_LOADs for the real-vmcore tests, read
/// with the core's own file source (one pread per request).
struct KernelElfTestMemory: PhysicalMemory {
    let core: ElfCore
    let pageSize = 4096
    let pageFrames: [Range<UInt64>]

    init(core: ElfCore) {
        self.core = core
        var frames: [Range<UInt64>] = []
        for range in core.loads.map(\.physical).filter({ !$0.isEmpty }).sorted(by: { $0.lowerBound < $1.lowerBound }) {
            // makedumpfile judges a frame when its first byte is in a PT_LOAD.
            let first = (range.lowerBound.rawValue + 4095) / 4096
            let end = (range.upperBound.rawValue + 4095) / 4096
            guard first < end else { continue }
            if let last = frames.last, first <= last.upperBound {
                frames[frames.count - 1] = last.lowerBound..<max(last.upperBound, end)
            } else {
                frames.append(first..<end)
            }
        }
        pageFrames = frames
    }

    var maxPFN: UInt64 { pageFrames.last?.upperBound ?? 0 }

    func read(physical address: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(CrashDumpError) {
        do {
            buffer.copyBytes(from: try core.readPhysical(at: PhysicalAddress(address), count: buffer.count))
        } catch {
            if case .physicalHole(let hole, _) = error { throw .notInDump(address: hole) }
            throw .elf(error)
        }
    }
}
