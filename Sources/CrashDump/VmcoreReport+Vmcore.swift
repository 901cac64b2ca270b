public import ElfNotes
public import KexecCore
import SystemPackage

/// What `vmcore-dump info` adds to the headers: read from the crashed kernel's
/// memory with VMCOREINFO alone.
public struct VmcoreAnalysis: Hashable, Sendable {
    /// The file format ("ELF", "kdump-compressed", "flattened kdump-compressed" ...).
    public var format: String
    /// The dump level the file was written with (kdump-compressed files).
    public var dumpLevel: Int?
    /// Whether the file says it is incomplete (a full disk while writing).
    public var isIncomplete: Bool
    /// The panic line (or the Oops it names), from the kernel log.
    public var panic: String?
    /// The sysrq line, when a sysrq crash triggered the panic.
    public var sysrq: String?
    /// The CPU that panicked: its index among the PRSTATUS notes.
    public var crashingCPU: Int?
    /// How the crashing CPU was found.
    public var crashingCPUReason: String?
    /// The last lines of the kernel log.
    public var logTail: [String]
    /// Page frames per class (dump level 31's view), when the page array could be read.
    public var pageClasses: [(name: String, frames: UInt64)]?
    /// What could not be read, and why.
    public var problems: [String]

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.format == rhs.format && lhs.dumpLevel == rhs.dumpLevel && lhs.isIncomplete == rhs.isIncomplete
            && lhs.panic == rhs.panic && lhs.sysrq == rhs.sysrq && lhs.crashingCPU == rhs.crashingCPU
            && lhs.logTail == rhs.logTail && lhs.problems == rhs.problems
            && lhs.pageClasses?.map(\.name) == rhs.pageClasses?.map(\.name)
            && lhs.pageClasses?.map(\.frames) == rhs.pageClasses?.map(\.frames)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(format)
        hasher.combine(panic)
        hasher.combine(logTail)
    }
}

extension VmcoreReport {
    /// Reads the report of the dump at `path` in any format the reader knows
    /// (ELF, kdump-compressed, flattened), with the analysis of its memory.
    /// - Parameter logLines: how many lines of the log's tail to keep.
    /// - Throws: ``CrashDumpError`` when the file cannot be opened as a dump.
    public static func read(vmcorePath path: String, logLines: Int = 10) throws(CrashDumpError) -> VmcoreReport {
        let vmcore = try Vmcore.open(path: FilePath(path))
        var report: VmcoreReport
        if let core = vmcore.elfCore {
            do {
                report = try VmcoreReport(core: core, file: path)
            } catch {
                throw .elf(error)
            }
        } else {
            report = try VmcoreReport(headersOf: vmcore, file: path)
        }
        report.analysis = VmcoreAnalysis(vmcore, cpus: report.cpus, logLines: logLines)
        report.warnings.append(contentsOf: vmcore.warnings.filter { !report.warnings.contains($0) })
        return report
    }

    /// The report of a dump that has no ELF headers (kdump-compressed): the
    /// notes, VMCOREINFO and the page frames present.
    init(headersOf vmcore: Vmcore, file: String) throws(CrashDumpError) {
        let architecture = vmcore.architecture
        let is64 = architecture?.is64Bit ?? true
        let info = vmcore.vmcoreInfo
        var cpus: [CPU] = []
        if let architecture {
            let notes = vmcore.notes.notes.filter { $0.isNote(name: ElfNote.Name.core, type: ElfNote.NoteType.prstatus) }
            for (index, note) in notes.enumerated() {
                do {
                    let status = try PrStatus(note: note, architecture: architecture, byteOrder: vmcore.byteOrder)
                    cpus.append(CPU(index: index, pid: status.pid, registers: status.registers))
                } catch {
                    throw .elf(.note(error))
                }
            }
        }
        let pageSize = UInt64(vmcore.pageSize)
        let memory = vmcore.memory.pageFrames.enumerated().compactMap { index, frames -> MemoryRange? in
            guard let range = try? PhysicalRange(start: PhysicalAddress(frames.lowerBound * pageSize),
                                                 size: (frames.upperBound - frames.lowerBound) * pageSize) else { return nil }
            return MemoryRange(programHeader: -1, physical: range, virtualStart: VirtualAddress(0), fileOffset: 0, fileSize: 0)
        }
        var warnings = vmcore.notes.warnings.map(\.description)
        if info == nil { warnings.append("no VMCOREINFO note: release, page size and crash time are unknown") }
        self.init(file: file, elfClass: is64 ? .elf64 : .elf32, byteOrder: vmcore.byteOrder,
                  machine: architecture?.elfMachine ?? 0, architecture: architecture, vmcoreInfo: info, cpus: cpus,
                  memory: memory, kernelText: nil, warnings: warnings)
    }
}

extension VmcoreAnalysis {
    /// Analyses `vmcore`; whatever cannot be read is listed in ``problems``.
    init(_ vmcore: Vmcore, cpus: [VmcoreReport.CPU], logLines: Int) {
        var format = "\(vmcore.format)"
        if vmcore.isFlattened { format = "flattened " + format }
        self.format = format
        dumpLevel = vmcore.dumpLevel.map { Int($0) }
        isIncomplete = vmcore.isIncomplete
        logTail = []
        problems = []
        do {
            let log = try vmcore.kernelLog()
            let messages = log.crashMessages
            panic = messages.summary
            sysrq = messages.sysrq?.text
            let lines = log.lines
            logTail = lines.suffix(max(logLines, 0)).map(\.text)
            // The panicking task or CPU is the caller of the panic line's record.
            if let panicLine = messages.panic,
               let record = log.records.last(where: { $0.string.contains(panicLine.text) }) {
                switch record.caller {
                case .thread(let pid)? where pid != 0:
                    if let index = cpus.firstIndex(where: { $0.pid == Int32(bitPattern: pid) }) {
                        crashingCPU = cpus[index].index
                        crashingCPUReason = "the panic was logged by pid \(pid), running on it"
                    }
                case .cpu(let number)?:
                    if Int(number) < cpus.count {
                        crashingCPU = Int(number)
                        crashingCPUReason = "the panic was logged from CPU \(number) outside task context"
                    }
                default:
                    break
                }
            }
        } catch {
            problems.append("kernel log: \(error)")
        }
        if crashingCPU == nil, cpus.count == 1 {
            crashingCPU = cpus[0].index
            crashingCPUReason = "the only CPU"
        }
        do {
            let kernel = try vmcore.kernelMemory()
            guard let info = vmcore.vmcoreInfo else { throw CrashDumpError.missingVmcoreInfo(key: "VMCOREINFO", purpose: "page classes") }
            let classifier = try PageClassifier(kernel: kernel, vmcoreInfo: info, byteOrder: vmcore.byteOrder,
                                                pointerSize: (vmcore.architecture?.is64Bit ?? true) ? 8 : 4)
            let statistics = try classifier.statistics(level: .all)
            pageClasses = PageClass.allCases.compactMap { pageClass in
                let frames = statistics.total(pageClass)
                return frames > 0 && pageClass != .notInDump ? ("\(pageClass)", frames) : nil
            }
        } catch {
            problems.append("page classes: \(error)")
        }
    }
}
