import ElfNotes
public import KexecCore
public import SegmentPlanner

/// An ELF kernel (vmlinux) that cannot be loaded.
public enum ElfKernelError: Error, Hashable, Sendable, CustomStringConvertible {
    case notExecutable(type: UInt16)
    case wrongMachine(UInt16, expected: UInt16)
    case noLoadableSegments
    case entryOutsideSegments(UInt64)
    case segments(NormalizationError)

    public var description: String {
        switch self {
        case .notExecutable(let type): "ELF kernel: e_type \(type) is not ET_EXEC (2)"
        case .wrongMachine(let machine, let expected): "ELF kernel: e_machine \(machine), expected \(expected)"
        case .noLoadableSegments: "ELF kernel: no PT_LOAD program header"
        case .entryOutsideSegments(let entry): "ELF kernel: entry point 0x\(String(entry, radix: 16)) lies in no PT_LOAD segment"
        case .segments(let error): "ELF kernel: PT_LOAD segments: \(error)"
        }
    }
}

/// x86 ELF kernels (vmlinux), as kexec-tools' elf-x86_64 and elf-x86 load them:
/// every PT_LOAD at its physical address (made page-aligned without letting two
/// segments share a page), entered at e_entry through purgatory with a zero page
/// whose setup header is made up (a vmlinux has none).
public enum ElfKernelLayout {
    /// Plans the load of an ELF kernel of `machine` (EM_X86_64 62 or EM_386 3).
    public static func plan(_ input: ImageLoadInput, purgatoryObject: [UInt8], machine: UInt16,
                            entry: X86EntryMode) throws -> ValidatedPlan {
        let elf = try ElfObject(parsing: input.kernel)
        guard elf.type == 2 else { throw ElfKernelError.notExecutable(type: elf.type) }
        guard elf.machine == machine else { throw ElfKernelError.wrongMachine(elf.machine, expected: machine) }
        let loads = elf.programHeaders.filter { $0.isLoadable && $0.memorySize > 0 }
        guard !loads.isEmpty else { throw ElfKernelError.noLoadableSegments }
        // e_entry of an x86 vmlinux is physical; translate a virtual one through its PT_LOAD.
        var entryAddress = elf.entry
        if !loads.contains(where: { entryAddress >= $0.physicalAddress && entryAddress - $0.physicalAddress < $0.memorySize }) {
            guard let holder = loads.first(where: { entryAddress >= $0.virtualAddress && entryAddress - $0.virtualAddress < $0.memorySize }) else {
                throw ElfKernelError.entryOutsideSegments(elf.entry)
            }
            entryAddress = entryAddress - holder.virtualAddress + holder.physicalAddress
        }
        let pieces = loads.map { LoosePiece(bytes: Array(elf.contents(of: $0)), address: PhysicalAddress($0.physicalAddress),
                                            memorySize: $0.memorySize) }
        let pageSize = input.pageSize ?? input.architecture.defaultPageSize
        let segments: [KexecSegment]
        do {
            segments = try SegmentNormalizer.normalize(pieces, pageSize: pageSize).segments
        } catch {
            throw ElfKernelError.segments(error)
        }
        let finalEntry = entryAddress
        return try X86ImageLayout.plan(
            input, purgatoryObject: purgatoryObject, entry: entry, bootParams: BootParams(synthesizedFor: input.commandLine),
            initrdLimit: PhysicalAddress(entry == .bits64 ? UInt64.max : 0x3800_0000)
        ) { planner in
            for segment in segments { try planner.add(segment, role: .kernel) }
            return (entry64: finalEntry, entry32: finalEntry)
        }
    }
}

extension BootParams {
    /// A zero page for a kernel without a setup header (an ELF vmlinux): boot flag,
    /// "HdrS", protocol 2.15, LOADED_HIGH, a 2047-byte command line limit.
    public init(synthesizedFor commandLine: String) {
        var image = [UInt8](repeating: 0, count: 0x270)
        image[0x1fe] = 0x55
        image[0x1ff] = 0xaa
        image[0x201] = 0x6a
        image.replaceSubrange(0x202..<0x206, with: Array("HdrS".utf8))
        image[0x206] = 0x0f
        image[0x207] = 0x02
        image[0x211] = 0x01
        image[0x238] = 0xff
        image[0x239] = 0x07
        // The fields above make a header SetupHeader accepts; build from it.
        let header = SetupHeader(uncheckedHeaderEnd: 0x26c)
        self.init(image: image, header: header)
    }
}

extension SetupHeader {
    init(uncheckedHeaderEnd end: Int) {
        self.init(setupSectors: 0, version: 0x020f, loadFlags: 1, code32Start: 0x10_0000, initrdAddressMax: 0x7fff_ffff,
                  kernelAlignment: 0x20_0000, relocatable: false, minimumAlignmentShift: 0, xloadFlags: 0,
                  commandLineSize: 2047, preferredAddress: 0x10_0000, initSize: 0, headerEnd: end)
    }
}
