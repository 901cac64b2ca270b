import ElfNotes
import KexecCore

extension VmcoreReport {
    /// The human-readable report `vmcore-dump info` prints.
    public var text: String {
        var lines: [String] = []
        func field(_ name: String, _ value: String) {
            lines.append((name + ":").padding(to: 15) + value)
        }
        field("file", file)
        let arch = architecture.map { "\($0)" } ?? "unknown"
        field("architecture", "\(arch) (\(elfClass == .elf64 ? "ELF64" : "ELF32"), \(byteOrder == .little ? "little" : "big")-endian, e_machine \(machine))")
        field("release", osRelease ?? "unknown")
        field("page size", pageSize.map { String($0) } ?? "unknown")
        field("crash time", crashTime.map { "\($0) (\(UTCTime.format(seconds: $0)))" } ?? "unknown")
        if let buildID { field("build id", buildID) }
        if let kernelOffset { field("kernel offset", hex(kernelOffset)) }
        field("cpus", String(cpus.count))
        for cpu in cpus {
            let registers = cpu.registers
            lines.append("  cpu \(cpu.index): pid \(cpu.pid)  \(registers.instructionPointerName) \(hex(cpu.instructionPointer))"
                + "  \(registers.stackPointerName) \(hex(cpu.stackPointer))")
            let width = registers.wordSize * 2
            let cells = registers.all.map { register in
                (register.name + " ").padding(to: 9) + "0x" + String(register.value, radix: 16).leftPadded(to: width)
            }
            var index = 0
            while index < cells.count {
                lines.append("    " + cells[index..<min(index + 4, cells.count)].joined(separator: "  "))
                index += 4
            }
        }
        if let analysis {
            if let panic = analysis.panic { field("panic", panic) }
            if let sysrq = analysis.sysrq { field("sysrq", sysrq) }
            if let cpu = analysis.crashingCPU {
                field("crashed cpu", "\(cpu)" + (analysis.crashingCPUReason.map { " (\($0))" } ?? ""))
            }
        }
        field("memory", "\(memory.count) ranges, \(memoryTotal) bytes (\(binarySize(memoryTotal)))")
        for range in memory.prefix(16) { lines.append("  " + describe(range)) }
        if memory.count > 16 { lines.append("  ... \(memory.count - 16) more (all of them in --json)") }
        if let kernelText {
            field("kernel text", describe(kernelText))
        }
        if let analysis {
            var dump = analysis.format
            if let level = analysis.dumpLevel { dump += ", dump level \(level)" }
            if analysis.isIncomplete { dump += ", INCOMPLETE" }
            field("dump", dump)
            if let classes = analysis.pageClasses {
                field("page classes", classes.map { "\($0.name) \($0.frames)" }.joined(separator: ", "))
            }
            if !analysis.logTail.isEmpty {
                field("log tail", "")
                for line in analysis.logTail { lines.append("  " + line) }
            }
            for problem in analysis.problems { lines.append("note: " + problem) }
        }
        for warning in warnings { lines.append("warning: " + warning) }
        return lines.joined(separator: "\n") + "\n"
    }

    private func describe(_ range: MemoryRange) -> String {
        let width = 16
        return "0x" + String(range.physical.lowerBound.rawValue, radix: 16).leftPadded(to: width)
            + "-0x" + String(range.physical.upperBound.rawValue, radix: 16).leftPadded(to: width)
            + "  size " + hex(range.size) + " (" + binarySize(range.size) + ")"
            + "  vaddr " + hex(range.virtualStart.rawValue)
            + "  offset " + hex(range.fileOffset)
    }
}

func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

/// 4096 -> "4 KiB", 1.5 GiB -> "1.5 GiB" (one decimal, truncated).
func binarySize(_ bytes: UInt64) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    var unit = 0
    var whole = bytes
    var scaled = bytes
    while scaled >= 1024 && unit < units.count - 1 {
        whole = scaled
        scaled /= 1024
        unit += 1
    }
    guard unit > 0 else { return "\(bytes) bytes" }
    let tenth = (whole % 1024) * 10 / 1024
    return tenth == 0 ? "\(scaled) \(units[unit])" : "\(scaled).\(tenth) \(units[unit])"
}

extension String {
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }

    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
