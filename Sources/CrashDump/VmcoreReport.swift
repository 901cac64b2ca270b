public import ElfNotes
public import KexecCore
import SystemPackage

/// What `vmcore-dump info` shows about a crash dump: the crashed kernel (release,
/// page size, crash time from VMCOREINFO), each CPU's task and registers (from
/// the NT_PRSTATUS notes) and the memory ranges (the PT_LOADs), taken from the
/// notes alone so it works whatever version the crashed kernel was.
public struct VmcoreReport: Hashable, Sendable {
    /// One CPU's state when the kernel crashed.
    public struct CPU: Hashable, Sendable {
        /// The CPU's position among the NT_PRSTATUS notes (the capture kernel keeps
        /// them in the order of the crashed kernel's online CPUs).
        public var index: Int
        /// `pr_pid`: the task running on the CPU (0 for the idle task).
        public var pid: Int32
        /// The typed register set.
        public var registers: RegisterSet

        /// rip, eip or nip.
        public var instructionPointer: UInt64 { registers.instructionPointer }
        /// rsp, esp or r1.
        public var stackPointer: UInt64 { registers.stackPointer }
    }

    /// One PT_LOAD.
    public struct MemoryRange: Hashable, Sendable {
        /// The program header index.
        public var programHeader: Int
        /// The physical range `[start, end)`.
        public var physical: PhysicalRange
        /// `p_vaddr`.
        public var virtualStart: VirtualAddress
        /// `p_offset`.
        public var fileOffset: UInt64
        /// `p_filesz`.
        public var fileSize: UInt64

        /// `p_memsz`: the bytes of memory covered.
        public var size: UInt64 { physical.size }
    }

    /// The file the report describes.
    public var file: String
    /// `EI_CLASS`.
    public var elfClass: ElfClass
    /// `EI_DATA`.
    public var byteOrder: ByteOrder
    /// `e_machine`.
    public var machine: UInt16
    /// The architecture `e_machine` names, if the suite knows it.
    public var architecture: KexecArchitecture?
    /// `OSRELEASE` from VMCOREINFO.
    public var osRelease: String?
    /// `PAGESIZE` from VMCOREINFO.
    public var pageSize: UInt64?
    /// `CRASHTIME` from VMCOREINFO: seconds since the epoch.
    public var crashTime: Int64?
    /// `BUILD-ID` from VMCOREINFO.
    public var buildID: String?
    /// `KERNELOFFSET` from VMCOREINFO (the KASLR offset).
    public var kernelOffset: UInt64?
    /// Whether the dump has a VMCOREINFO note at all.
    public var hasVmcoreInfo: Bool
    /// One entry per NT_PRSTATUS note.
    public var cpus: [CPU]
    /// The PT_LOADs of memory, the kernel-text one left out.
    public var memory: [MemoryRange]
    /// The kernel-text PT_LOAD (x86_64: virtual address at 0xffffffff80000000 or above).
    public var kernelText: MemoryRange?
    /// Problems that did not stop the report: notes dropped while merging, a
    /// malformed VMCOREINFO line, PT_LOADs cut off by the end of the file.
    public var warnings: [String]
    /// The panic, the crashing CPU, the log's tail and the page classes, when the
    /// report was read with ``read(vmcorePath:logLines:)``.
    public var analysis: VmcoreAnalysis?

    init(file: String, elfClass: ElfClass, byteOrder: ByteOrder, machine: UInt16, architecture: KexecArchitecture?,
         vmcoreInfo info: VmcoreInfo?, cpus: [CPU], memory: [MemoryRange], kernelText: MemoryRange?, warnings: [String]) {
        self.file = file
        self.elfClass = elfClass
        self.byteOrder = byteOrder
        self.machine = machine
        self.architecture = architecture
        hasVmcoreInfo = info != nil
        osRelease = info?.osRelease
        pageSize = info?.pageSize
        crashTime = info?.crashTime
        buildID = info?.buildID
        kernelOffset = info?.kernelOffset
        self.cpus = cpus
        self.memory = memory
        self.kernelText = kernelText
        self.warnings = warnings
    }

    /// The report for `core`.
    /// - Throws: ``ElfCoreError`` when the NT_PRSTATUS notes cannot be decoded.
    public init(core: ElfCore, file: String) throws(ElfCoreError) {
        self.file = file
        elfClass = core.elfClass
        byteOrder = core.byteOrder
        machine = core.machine
        architecture = core.architecture
        let info = core.vmcoreInfo
        hasVmcoreInfo = info != nil
        osRelease = info?.osRelease
        pageSize = info?.pageSize
        crashTime = info?.crashTime
        buildID = info?.buildID
        kernelOffset = info?.kernelOffset
        cpus = try core.cpuStatuses().enumerated().map { index, status in
            CPU(index: index, pid: status.pid, registers: status.registers)
        }
        let ranges = core.loads.map { load in
            MemoryRange(programHeader: load.index, physical: load.physical, virtualStart: load.virtualStart,
                        fileOffset: load.fileOffset, fileSize: load.fileSize)
        }
        memory = zip(core.loads, ranges).filter { !$0.0.isKernelText }.map(\.1)
        kernelText = zip(core.loads, ranges).first { $0.0.isKernelText }?.1

        var warnings = core.notes.warnings.map(\.description)
        if let info {
            do throws(VmcoreInfoError) {
                try info.validate()
            } catch {
                warnings.append("\(error)")
            }
        } else {
            warnings.append("no VMCOREINFO note: release, page size and crash time are unknown")
        }
        for load in core.truncatedLoads {
            warnings.append("program header \(load.index) (PT_LOAD \(load.physical)) runs past the end of the \(core.source.size)-byte file")
        }
        self.warnings = warnings
    }

    /// Reads the core file at `path` (default /proc/vmcore) and makes its report.
    /// - Throws: ``ElfCoreError``.
    public static func read(path: String = "/proc/vmcore") throws(ElfCoreError) -> VmcoreReport {
        try VmcoreReport(core: try ElfCore.open(FilePath(path)), file: path)
    }

    /// The total size of ``memory`` in bytes.
    public var memoryTotal: UInt64 {
        memory.reduce(0) { $0 &+ $1.size }
    }
}
