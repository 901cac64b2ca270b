import Foundation
@testable import CrashDump
import ElfNotes
import KexecCore

/// Physical memory over an ELF core's PT_LOADs (test-only; the library's own
/// readers are tested elsewhere).
struct KernelLogTestPhysicalMemory: PhysicalMemory {
    let core: ElfCore
    var pageSize: Int { 4096 }
    var pageFrames: [Range<UInt64>] {
        core.loads.map { ($0.physical.lowerBound.rawValue / 4096)..<(($0.physical.upperBound.rawValue + 4095) / 4096) }
            .sorted { $0.lowerBound < $1.lowerBound }
    }
    var maxPFN: UInt64 { pageFrames.map(\.upperBound).max() ?? 0 }

    func read(physical address: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(CrashDumpError) {
        do {
            buffer.copyBytes(from: try core.readPhysical(at: PhysicalAddress(address), count: buffer.count))
        } catch {
            if case .physicalHole(let hole, _) = error { throw .notInDump(address: hole) }
            throw .elf(error)
        }
    }
}

/// Kernel memory for tests: the x86_64 kernel text map (`va - 0xffffffff80000000 +
/// phys_base`) when `phys_base` is given, and the direct map (`va - PAGE_OFFSET`,
/// PAGE_OFFSET from the PT_LOAD below the text map: `p_vaddr - p_paddr`).
struct KernelLogTestKernelMemory: KernelMemory {
    let physical: any PhysicalMemory
    let physBase: UInt64?
    let pageOffset: UInt64?

    init(core: ElfCore, physBase: UInt64?) {
        physical = KernelLogTestPhysicalMemory(core: core)
        self.physBase = physBase
        pageOffset = core.loads.first { $0.virtualStart.rawValue != 0 && $0.virtualStart.rawValue < 0xffff_ffff_8000_0000 }
            .map { $0.virtualStart.rawValue - $0.physical.lowerBound.rawValue }
    }

    func translate(_ virtual: UInt64) throws(CrashDumpError) -> UInt64 {
        if let physBase, virtual >= 0xffff_ffff_8000_0000 { return virtual - 0xffff_ffff_8000_0000 + physBase }
        if let pageOffset, virtual >= pageOffset { return virtual - pageOffset }
        throw .notMapped(virtual: virtual, reason: "test kernel memory maps only the text and direct maps")
    }
}

/// A crashed machine's memory built by hand: a kernel image (the x86_64 text map,
/// or the direct map elsewhere) for the kernel's variables and a stretch of RAM
/// in the direct map, written out as an ELF core with a VMCOREINFO note.
struct KernelLogDump {
    let architecture: KexecArchitecture
    let kernelVirtual: UInt64
    let kernelPhysical: UInt64 = 0x200_0000
    let ramVirtual: UInt64
    let ramPhysical: UInt64 = 0x400_0000
    var kernel: [UInt8] = []
    var ram: [UInt8] = []
    var vmcoreInfo = VmcoreInfo()
    /// Regions left out of the core file, as (virtual start, size).
    var holes: [(UInt64, Int)] = []

    init(architecture: KexecArchitecture = .x86_64) {
        self.architecture = architecture
        let pageOffset: UInt64 = switch architecture {
        case .x86_64: 0xffff_8880_0000_0000
        case .i386, .ppc: 0xc000_0000
        case .ppc64, .ppc64le: 0xc000_0000_0000_0000
        }
        kernelVirtual = architecture == .x86_64 ? 0xffff_ffff_8100_0000 : pageOffset + kernelPhysical
        ramVirtual = pageOffset + ramPhysical
        vmcoreInfo["OSRELEASE"] = "synthetic"
        vmcoreInfo["PAGESIZE"] = "4096"
        if architecture == .x86_64 { vmcoreInfo.setNumber("phys_base", Int64(kernelPhysical - 0x100_0000)) }
    }

    var byteOrder: ByteOrder { architecture.byteOrder }
    var pointerSize: Int { architecture.is64Bit ? 8 : 4 }
    var physBase: UInt64? { architecture == .x86_64 ? kernelPhysical - 0x100_0000 : nil }

    /// Reserves `size` zero bytes in the kernel image (`inKernel`) or in RAM and
    /// returns their virtual address.
    mutating func allocate(_ size: Int, inKernel: Bool = true, alignment: Int = 64) -> UInt64 {
        if inKernel {
            while kernel.count % alignment != 0 { kernel.append(0) }
            let address = kernelVirtual + UInt64(kernel.count)
            kernel.append(contentsOf: repeatElement(0, count: size))
            return address
        }
        while ram.count % alignment != 0 { ram.append(0) }
        let address = ramVirtual + UInt64(ram.count)
        ram.append(contentsOf: repeatElement(0, count: size))
        return address
    }

    mutating func write(_ bytes: [UInt8], at address: UInt64) {
        if address >= kernelVirtual && address - kernelVirtual + UInt64(bytes.count) <= UInt64(kernel.count) {
            let start = Int(address - kernelVirtual)
            kernel.replaceSubrange(start..<start + bytes.count, with: bytes)
        } else if address >= ramVirtual && address - ramVirtual + UInt64(bytes.count) <= UInt64(ram.count) {
            let start = Int(address - ramVirtual)
            ram.replaceSubrange(start..<start + bytes.count, with: bytes)
        } else {
            preconditionFailure("test bug: 0x\(String(address, radix: 16)) is not allocated")
        }
    }

    func encode<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        let little = withUnsafeBytes(of: value.littleEndian) { Array($0) }
        return byteOrder == .little ? little : little.reversed()
    }

    mutating func write<T: FixedWidthInteger>(_ value: T, at address: UInt64) { write(encode(value), at: address) }

    /// Writes a `long` (4 or 8 bytes).
    mutating func writeWord(_ value: UInt64, at address: UInt64) {
        if pointerSize == 8 { write(value, at: address) } else { write(UInt32(truncatingIfNeeded: value), at: address) }
    }

    /// A kernel variable holding `value` (`long`-sized, or `width` bytes), named in VMCOREINFO.
    mutating func variable(_ name: String, word value: UInt64) -> UInt64 {
        let address = allocate(pointerSize, alignment: 8)
        writeWord(value, at: address)
        vmcoreInfo.setSymbol(name, VirtualAddress(address))
        return address
    }

    mutating func variable(_ name: String, u32 value: UInt32) -> UInt64 {
        let address = allocate(4, alignment: 8)
        write(value, at: address)
        vmcoreInfo.setSymbol(name, VirtualAddress(address))
        return address
    }

    /// The ELF core file.
    func core() throws -> [UInt8] {
        func cut(_ bytes: [UInt8], virtual: UInt64, physical: UInt64) -> [ElfCoreWriter.Load] {
            var loads: [ElfCoreWriter.Load] = []
            var start = 0
            for hole in holes.sorted(by: { $0.0 < $1.0 }) where hole.0 >= virtual && hole.0 < virtual + UInt64(bytes.count) {
                let holeStart = Int(hole.0 - virtual)
                if holeStart > start {
                    loads.append(.init(physicalStart: PhysicalAddress(physical + UInt64(start)),
                                       virtualStart: VirtualAddress(virtual + UInt64(start)),
                                       bytes: Array(bytes[start..<holeStart])))
                }
                start = min(bytes.count, holeStart + hole.1)
            }
            if start < bytes.count {
                loads.append(.init(physicalStart: PhysicalAddress(physical + UInt64(start)),
                                   virtualStart: VirtualAddress(virtual + UInt64(start)), bytes: Array(bytes[start...])))
            }
            return loads
        }
        let notes = ElfNote.encode([vmcoreInfo.note], byteOrder: byteOrder)
        // RAM first, as /proc/vmcore lists it, then the kernel text load.
        let loads = cut(ram, virtual: ramVirtual, physical: ramPhysical) + cut(kernel, virtual: kernelVirtual, physical: kernelPhysical)
        return try ElfCoreWriter(architecture: architecture, noteSegments: [notes], loads: loads).bytes()
    }

    /// The kernel log read through the test kernel memory.
    func kernelLog() throws -> KernelLog {
        let core = try ElfCore(source: InMemoryCoreSource(try core()))
        let memory = KernelLogTestKernelMemory(core: core, physBase: physBase)
        return try KernelLog.read(from: memory, vmcoreInfo: vmcoreInfo, architecture: architecture)
    }
}

/// Runs kexec-tools' vmcore-dmesg on a core when it is installed.
enum KernelLogVmcoreDmesg {
    static let path = "/usr/sbin/vmcore-dmesg"

    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: path) }

    /// vmcore-dmesg's standard output and exit status for the core `bytes`.
    static func run(core bytes: [UInt8]) throws -> (output: [UInt8], status: Int32) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kernellog-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("vmcore")
        try Data(bytes).write(to: file)
        return try run(path: file.path)
    }

    static func run(path: String) throws -> (output: [UInt8], status: Int32) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.path)
        process.arguments = [path]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ([UInt8](data), process.terminationStatus)
    }
}
