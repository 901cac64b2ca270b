import ElfNotes
import KexecCore

extension VmcoreReport {
    /// The report as one JSON object followed by a newline: addresses and register
    /// values as `"0x..."` strings, sizes and counts as numbers, unknown values as
    /// `null`. Keys: file, architecture, elfClass, byteOrder, machine, release,
    /// pageSize, crashTime, crashTimeUTC, buildID, kernelOffset, cpuCount, cpus
    /// (index, pid, instructionPointer, stackPointer, registers {name: value}),
    /// memory (programHeader, physicalStart, physicalEnd, size, virtualStart,
    /// fileOffset, fileSize), memoryTotal, kernelText (same shape or null), warnings.
    public var json: String {
        let cpuValues = cpus.map { cpu -> JSONValue in
            .object([
                ("index", .integer(Int64(cpu.index))),
                ("pid", .integer(Int64(cpu.pid))),
                ("instructionPointer", .address(cpu.instructionPointer)),
                ("stackPointer", .address(cpu.stackPointer)),
                ("registers", .object(cpu.registers.all.map { ($0.name, .address($0.value)) })),
            ])
        }
        let object: JSONValue = .object([
            ("file", .string(file)),
            ("architecture", .optional(architecture.map { "\($0)" })),
            ("elfClass", .string(elfClass == .elf64 ? "ELF64" : "ELF32")),
            ("byteOrder", .string(byteOrder.rawValue)),
            ("machine", .integer(Int64(machine))),
            ("release", .optional(osRelease)),
            ("pageSize", pageSize.map(JSONValue.unsigned) ?? .null),
            ("crashTime", crashTime.map(JSONValue.integer) ?? .null),
            ("crashTimeUTC", .optional(crashTime.map { UTCTime.format(seconds: $0) })),
            ("buildID", .optional(buildID)),
            ("kernelOffset", kernelOffset.map(JSONValue.address) ?? .null),
            ("cpuCount", .integer(Int64(cpus.count))),
            ("cpus", .array(cpuValues)),
            ("memory", .array(memory.map(Self.json))),
            ("memoryTotal", .unsigned(memoryTotal)),
            ("kernelText", kernelText.map(Self.json) ?? .null),
            ("warnings", .array(warnings.map(JSONValue.string))),
        ] + analysisFields)
        return object.encoded + "\n"
    }

    /// With an analysis: format, dumpLevel, incomplete, panic, sysrq, crashingCPU,
    /// crashingCPUReason, logTail, pageClasses ({class: frames} or null), problems.
    private var analysisFields: [(String, JSONValue)] {
        guard let analysis else { return [] }
        return [
            ("format", .string(analysis.format)),
            ("dumpLevel", analysis.dumpLevel.map { JSONValue.integer(Int64($0)) } ?? .null),
            ("incomplete", .bool(analysis.isIncomplete)),
            ("panic", .optional(analysis.panic)),
            ("sysrq", .optional(analysis.sysrq)),
            ("crashingCPU", analysis.crashingCPU.map { JSONValue.integer(Int64($0)) } ?? .null),
            ("crashingCPUReason", .optional(analysis.crashingCPUReason)),
            ("logTail", .array(analysis.logTail.map(JSONValue.string))),
            ("pageClasses", analysis.pageClasses.map { classes in .object(classes.map { ($0.name, .unsigned($0.frames)) }) } ?? .null),
            ("problems", .array(analysis.problems.map(JSONValue.string))),
        ]
    }

    private static func json(_ range: MemoryRange) -> JSONValue {
        .object([
            ("programHeader", .integer(Int64(range.programHeader))),
            ("physicalStart", .address(range.physical.lowerBound.rawValue)),
            ("physicalEnd", .address(range.physical.upperBound.rawValue)),
            ("size", .unsigned(range.size)),
            ("virtualStart", .address(range.virtualStart.rawValue)),
            ("fileOffset", .address(range.fileOffset)),
            ("fileSize", .unsigned(range.fileSize)),
        ])
    }
}
