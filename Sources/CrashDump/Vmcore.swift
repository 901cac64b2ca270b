public import ElfNotes
public import KexecCore
public import SystemPackage

/// A crash dump opened whatever its format: an ELF vmcore (/proc/vmcore,
/// `makedumpfile -E`, qemu), a kdump-compressed dump ("KDUMP   ", or the old
/// "DISKDUMP"), or either of them as a flattened stream (`makedumpfile -F`),
/// which is read in place without reassembling.
///
/// ```swift
/// let dump = try Vmcore.open(path: "/var/crash/vmcore")
/// print(dump.format, dump.architecture ?? "unknown", dump.vmcoreInfo?.osRelease ?? "?")
/// let firstPage = try dump.memory.read(physical: 0x1000, count: dump.pageSize)
/// ```
public struct Vmcore: Sendable {
    /// The container format.
    public enum Format: String, Hashable, Sendable, CustomStringConvertible {
        /// An ELF core file.
        case elf
        /// makedumpfile's kdump-compressed format ("KDUMP   ").
        case kdumpCompressed
        /// The older diskdump format ("DISKDUMP").
        case diskdump

        /// The format's usual name.
        public var description: String {
            switch self {
            case .elf: "ELF"
            case .kdumpCompressed: "kdump-compressed"
            case .diskdump: "diskdump"
            }
        }
    }

    /// The file's name.
    public let name: String
    /// The format of the dump (of the reassembled file, for a flattened one).
    public let format: Format
    /// The flattened index when the file is a flattened stream.
    public let flattened: FlattenedFile?
    /// The byte order of the crashed machine (and of the dump's headers).
    public let byteOrder: ByteOrder
    /// The crashed machine: `e_machine` for ELF, `utsname.machine` for kdump.
    public let architecture: KexecArchitecture?
    /// The ELF notes (PRSTATUS per CPU, VMCOREINFO, ...), merged.
    public let notes: MergedElfNotes
    /// The VMCOREINFO note, parsed.
    public let vmcoreInfo: VmcoreInfo?
    /// The crashed kernel's page size.
    public let pageSize: Int
    /// The physical memory.
    public let memory: any PhysicalMemory
    /// The ELF core, for an ELF dump.
    public let elfCore: ElfCore?
    /// The kdump-compressed reader (header, sub-header, bitmaps), for a kdump or diskdump dump.
    public let kdump: KdumpCompressedMemory?
    /// Whether the dump is known to be incomplete: the kdump status flag, the ELF
    /// `e_flags` bit 0 makedumpfile sets on ENOSPC, PT_LOADs running past the end
    /// of the file, or a flattened stream without its end marker.
    public let isIncomplete: Bool
    /// Problems that did not stop opening (notes dropped while merging, a
    /// truncated stream, ...).
    public let warnings: [String]

    /// Whether the file is a flattened stream.
    public var isFlattened: Bool { flattened != nil }
    /// The kdump header, for a kdump or diskdump dump.
    public var kdumpHeader: KdumpHeader? { kdump?.header }
    /// The dump level (`-d`) of a kdump dump.
    public var dumpLevel: Int32? { kdump?.dumpLevel }
    /// The crashed kernel's utsname, from a kdump header.
    public var utsname: KdumpUtsname? { kdump?.header.utsname }

    /// Opens the dump at `path` (default /proc/vmcore).
    /// - Throws: ``CrashDumpError/unknownFormat(path:reason:)`` for none of the
    ///   formats, or the format reader's error.
    public static func open(path: FilePath = "/proc/vmcore") throws(CrashDumpError) -> Vmcore {
        try Vmcore(source: DumpFile(path: path))
    }

    /// Opens the dump in `source`.
    /// - Throws: as ``open(path:)``.
    public init(source: any CoreFileSource) throws(CrashDumpError) {
        let direct = adaptedForDumpReading(source)
        name = direct.name
        var warnings: [String] = []
        var input = direct
        var flattened: FlattenedFile?
        if FlattenedFormat.isFlattened(try direct.bytes(at: 0, count: Int(min(direct.size, 16)), field: "signature")) {
            let file = try FlattenedFile(base: direct)
            if let truncation = file.truncation { warnings.append("\(truncation)") }
            flattened = file
            input = file
        }
        self.flattened = flattened
        let magic = try input.bytes(at: 0, count: Int(min(input.size, 8)), field: "signature")
        var incomplete = flattened?.truncation != nil
        if magic.count >= 4, Array(magic[0..<4]) == [0x7f, 0x45, 0x4c, 0x46] {
            let core: ElfCore
            do {
                core = try ElfCore(source: input)
            } catch {
                throw CrashDumpError(error)
            }
            let memory = try ElfVmcoreMemory(core: core)
            format = .elf
            byteOrder = core.byteOrder
            architecture = core.architecture
            notes = core.notes
            vmcoreInfo = core.vmcoreInfo
            pageSize = memory.pageSize
            self.memory = memory
            elfCore = core
            kdump = nil
            if try Self.elfFlags(input, core: core) & 1 != 0 { incomplete = true }
            for load in core.truncatedLoads {
                incomplete = true
                warnings.append("program header \(load.index) (PT_LOAD) runs past the end of the file")
            }
        } else if let signature = KdumpHeader.signature(of: magic) {
            let reader = try KdumpCompressedMemory(source: input)
            format = signature == .kdump ? .kdumpCompressed : .diskdump
            byteOrder = reader.layout.byteOrder
            architecture = reader.architecture
            notes = reader.notes
            vmcoreInfo = reader.vmcoreInfo
            pageSize = reader.pageSize
            memory = reader
            elfCore = nil
            kdump = reader
            if reader.isIncomplete { incomplete = true }
        } else {
            throw .unknownFormat(path: direct.name, reason: flattened == nil
                ? "it starts with neither an ELF, a KDUMP/DISKDUMP nor a makedumpfile flattened signature"
                : "the flattened stream holds neither an ELF nor a kdump-compressed file")
        }
        warnings.append(contentsOf: notes.warnings.map(\.description))
        isIncomplete = incomplete
        self.warnings = warnings
    }

    /// `e_flags` of an ELF header (at 48 in ELF64, 36 in ELF32).
    static func elfFlags(_ source: any DumpByteSource, core: ElfCore) throws(CrashDumpError) -> UInt32 {
        let offset = core.elfClass == .elf64 ? 48 : 36
        let bytes = try source.bytes(at: UInt64(offset), count: 4, field: "e_flags")
        return FieldReader(bytes: bytes, byteOrder: core.byteOrder).u32(0)
    }
}
