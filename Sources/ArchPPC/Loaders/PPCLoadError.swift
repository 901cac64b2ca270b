public import ElfNotes
public import KexecCore

/// Why a PowerPC kernel cannot be planned: what is wrong and where.
public enum PPCLoadError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kernel is not a readable ELF file.
    case elf(ElfError)
    /// `e_type` is neither ET_EXEC (2) nor ET_DYN (3).
    case notExecutable(type: UInt16)
    /// `e_machine` is not the one this loader takes (EM_PPC64 21, EM_PPC 20).
    case wrongMachine(UInt16, expected: UInt16)
    /// The ELF class does not match the machine (ppc64 kernels are ELF64, ppc ELF32).
    case wrongClass(ElfClass, expected: ElfClass)
    /// No PT_LOAD program header with memory.
    case noLoadableSegments
    /// Two PT_LOAD program headers claim the same physical bytes.
    case segmentsOverlap(first: Int, second: Int)
    /// The PT_LOAD segments span more than the loader accepts.
    case imageTooLarge(span: UInt64, limit: UInt64)
    /// `e_entry` lies in no PT_LOAD segment (by virtual or physical address).
    case entryOutsideSegments(UInt64)
    /// No device tree was given (``ImageLoadInput/deviceTree``).
    case noDeviceTree
    /// The device tree blob cannot be parsed.
    case deviceTree(DeviceTreeParseError)
    /// A property of the device tree is malformed.
    case deviceTreeProperty(DeviceTreePropertyError)
    /// The tree for the next kernel cannot be made.
    case kexecDeviceTree(KexecDeviceTreeError)
    /// The tree has no memory node, so there is no RMA to load into.
    case noMemoryNodes
    /// A crash kernel needs the running kernel's crash notes and VMCOREINFO.
    case crashLoadNeedsCrashState
    /// A crash kernel must run where it is loaded: its `__run_at_load` word at
    /// offset 0x5c holds neither "run0" (relocatable) nor 1.
    case crashKernelNotRelocatable(runAtLoad: UInt32?)
    /// Kexec on panic is implemented for ppc64 only.
    case crashUnsupported(KexecArchitecture)
    /// The ELF core header cannot be written.
    case crashHeader(ElfCoreError)
    /// The embedded purgatory object cannot be read.
    case purgatoryObject(ElfError)
    /// The purgatory cannot be laid out, relocated or patched.
    case purgatory(RelocationError)
    /// Purgatory hashes at most 16 regions.
    case tooManyRegions(Int)
    /// Test hook: there is no segment with bytes at this index.
    case corruptSegmentOutOfRange(Int)

    public var description: String {
        switch self {
        case .elf(let error): "PowerPC kernel: \(error)"
        case .notExecutable(let type): "PowerPC kernel: e_type \(type) is neither ET_EXEC (2) nor ET_DYN (3)"
        case .wrongMachine(let machine, let expected): "PowerPC kernel: e_machine \(machine), expected \(expected)"
        case .wrongClass(let found, let expected):
            "PowerPC kernel: ELF class \(found == .elf64 ? "ELF64" : "ELF32"), expected \(expected == .elf64 ? "ELF64" : "ELF32")"
        case .noLoadableSegments: "PowerPC kernel: no PT_LOAD program header with memory"
        case .segmentsOverlap(let first, let second): "PowerPC kernel: PT_LOAD \(first) and \(second) claim the same physical bytes"
        case .imageTooLarge(let span, let limit):
            "PowerPC kernel: the PT_LOAD segments span 0x\(String(span, radix: 16)) bytes, more than 0x\(String(limit, radix: 16))"
        case .entryOutsideSegments(let entry): "PowerPC kernel: entry point 0x\(String(entry, radix: 16)) lies in no PT_LOAD segment"
        case .noDeviceTree: "PowerPC loads need the running system's device tree (--device-tree DIR|FILE)"
        case .deviceTree(let error): "device tree: \(error)"
        case .deviceTreeProperty(let error): "device tree: \(error)"
        case .kexecDeviceTree(let error): "device tree for the next kernel: \(error)"
        case .noMemoryNodes: "device tree: no memory node, so no real mode area (RMA) to load into"
        case .crashLoadNeedsCrashState:
            "loading a crash kernel needs the running kernel's crash notes and VMCOREINFO (/sys/devices/system/cpu/cpu*/crash_notes, /sys/kernel/vmcoreinfo)"
        case .crashKernelNotRelocatable(let word):
            "the crash kernel is not relocatable: the word at offset 0x5c is \(word.map { "0x" + String($0, radix: 16) } ?? "missing"), not \"run0\" (CONFIG_RELOCATABLE) or 1"
        case .crashUnsupported(let architecture): "kexec on panic is not implemented for \(architecture) (ppc64 and ppc64le only)"
        case .crashHeader(let error): "ELF core header: \(error)"
        case .purgatoryObject(let error): "embedded purgatory object: \(error)"
        case .purgatory(let error): "purgatory: \(error)"
        case .tooManyRegions(let count): "purgatory verifies at most 16 regions, the plan has \(count)"
        case .corruptSegmentOutOfRange(let index): "test corruption: there is no segment \(index), or it has no bytes"
        }
    }
}
