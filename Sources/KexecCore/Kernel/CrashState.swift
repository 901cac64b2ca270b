public import SystemPackage

/// What the running kernel tells a loader about itself for kdump: where each CPU's
/// crash notes and VMCOREINFO live, where its text is, and the direct map offset.
/// The capture kernel learns all of it from the ELF core header built from this.
public struct CrashState: Hashable, Sendable {
    /// `/sys/devices/system/cpu/cpuN/crash_notes` and `crash_notes_size`, per CPU.
    public var cpuNotes: [PhysicalRange]
    /// `/sys/kernel/vmcoreinfo`: physical address and size of the VMCOREINFO note.
    public var vmcoreinfo: PhysicalRange?
    /// The kernel text: physical range ("Kernel code" in /proc/iomem) and the virtual
    /// address of its start (`_stext` from /proc/kallsyms), if known.
    public var kernelText: (physical: PhysicalRange, virtualStart: UInt64)?
    /// The virtual address of physical 0 in the direct map (PAGE_OFFSET).
    public var pageOffset: UInt64

    /// x86_64's PAGE_OFFSET without KASLR of the direct map (4-level paging).
    public static let defaultPageOffsetX86_64: UInt64 = 0xffff_8880_0000_0000

    public init(cpuNotes: [PhysicalRange], vmcoreinfo: PhysicalRange?,
                kernelText: (physical: PhysicalRange, virtualStart: UInt64)?, pageOffset: UInt64) {
        self.cpuNotes = cpuNotes
        self.vmcoreinfo = vmcoreinfo
        self.kernelText = kernelText
        self.pageOffset = pageOffset
    }

    public static func == (lhs: CrashState, rhs: CrashState) -> Bool {
        lhs.cpuNotes == rhs.cpuNotes && lhs.vmcoreinfo == rhs.vmcoreinfo && lhs.pageOffset == rhs.pageOffset
            && lhs.kernelText?.physical == rhs.kernelText?.physical && lhs.kernelText?.virtualStart == rhs.kernelText?.virtualStart
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(cpuNotes)
        hasher.combine(vmcoreinfo)
        hasher.combine(pageOffset)
    }

    /// Parses `/sys/kernel/vmcoreinfo` ("%pa %x": hex address, hex size).
    /// - Throws: ``CrashStateError``.
    public static func parseVmcoreinfo(_ text: String) throws(CrashStateError) -> PhysicalRange {
        let fields = text.trimmingTrailingNewlines().split(separator: " ")
        guard fields.count == 2, let address = UInt64(fields[0].hasPrefix("0x") ? fields[0].dropFirst(2) : fields[0], radix: 16),
              let size = UInt64(fields[1].hasPrefix("0x") ? fields[1].dropFirst(2) : fields[1], radix: 16),
              let range = try? PhysicalRange(start: PhysicalAddress(address), size: size) else {
            throw .malformed(file: "vmcoreinfo", text: String(text.prefix(60)))
        }
        return range
    }

    /// Parses a CPU's `crash_notes` (hex address) and `crash_notes_size` (decimal).
    /// - Throws: ``CrashStateError``.
    public static func parseCrashNotes(address: String, size: String, cpu: Int) throws(CrashStateError) -> PhysicalRange {
        let a = address.trimmingTrailingNewlines()
        let s = size.trimmingTrailingNewlines()
        guard let value = UInt64(a.hasPrefix("0x") ? String(a.dropFirst(2)) : a, radix: 16), let length = UInt64(s),
              let range = try? PhysicalRange(start: PhysicalAddress(value), size: length) else {
            throw .malformed(file: "cpu\(cpu)/crash_notes", text: String((a + " " + s).prefix(60)))
        }
        return range
    }

    /// `_stext`'s address from /proc/kallsyms text ("ffffffff81000000 T _stext").
    public static func parseStext(kallsyms: String) -> UInt64? {
        for line in kallsyms.split(separator: "\n") where line.hasSuffix(" _stext") {
            if let address = UInt64(line.prefix { $0 != " " }, radix: 16), address != 0 { return address }
        }
        return nil
    }

    /// Reads the running kernel's crash state (as root): CPU notes of every present
    /// CPU, VMCOREINFO, "Kernel code" from `iomem`, `_stext` from /proc/kallsyms.
    /// - Throws: ``CrashStateError``, ``FileReadError``.
    public static func read(sysfs: FilePath = "/sys", proc: FilePath = "/proc", iomem: IOMem,
                            pageOffset: UInt64 = defaultPageOffsetX86_64) throws -> CrashState {
        let cpuDirectory = sysfs.appending("devices/system/cpu")
        let names = try UnsafeAccess.directoryEntries(cpuDirectory)
        let cpus = names.compactMap { name -> Int? in name.hasPrefix("cpu") ? Int(name.dropFirst(3)) : nil }.sorted()
        var notes: [PhysicalRange] = []
        for cpu in cpus {
            let directory = cpuDirectory.appending("cpu\(cpu)")
            guard let address = try? FileReader.readText(directory.appending("crash_notes"), limit: 64) else { continue }
            let size = try FileReader.readText(directory.appending("crash_notes_size"), limit: 64)
            notes.append(try parseCrashNotes(address: address, size: size, cpu: cpu))
        }
        guard !notes.isEmpty else { throw CrashStateError.noCrashNotes }
        let vmcoreinfo = try parseVmcoreinfo(try FileReader.readText(sysfs.appending("kernel/vmcoreinfo"), limit: 256))
        var text: (physical: PhysicalRange, virtualStart: UInt64)?
        if let code = iomem.kernelImage.first(where: { $0.name == "Kernel code" }),
           let kallsyms = try? FileReader.readText(proc.appending("kallsyms"), limit: 1 << 28),
           let stext = parseStext(kallsyms: kallsyms) {
            text = (code.range, stext)
        }
        return CrashState(cpuNotes: notes, vmcoreinfo: vmcoreinfo, kernelText: text, pageOffset: pageOffset)
    }
}

/// Crash state that cannot be read.
public enum CrashStateError: Error, Hashable, Sendable, CustomStringConvertible {
    case malformed(file: String, text: String)
    case noCrashNotes

    public var description: String {
        switch self {
        case .malformed(let file, let text): "\(file) holds \"\(text)\", not what the kernel writes there"
        case .noCrashNotes: "no CPU has crash_notes: the kernel was built without CONFIG_CRASH_DUMP, or sysfs is not mounted"
        }
    }
}
