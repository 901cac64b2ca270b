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

    /// What the program headers of /proc/kcore (ELF64 little-endian; its first bytes
    /// suffice) say about the running kernel.
    public struct KcoreLayout: Hashable, Sendable {
        /// p_vaddr - p_paddr of the first direct-map RAM entry: page_offset_base.
        public var pageOffset: UInt64?
        /// The kernel-text entry (`_text` to `_end`): physical range and virtual start.
        public var text: (physical: PhysicalRange, virtualStart: UInt64)?

        public static func == (lhs: Self, rhs: Self) -> Bool {
            lhs.pageOffset == rhs.pageOffset && lhs.text?.physical == rhs.text?.physical
                && lhs.text?.virtualStart == rhs.text?.virtualStart
        }
        public func hash(into hasher: inout Hasher) { hasher.combine(pageOffset) }
    }

    /// Parses /proc/kcore's program headers: RAM entries carry their physical
    /// address (others have p_paddr = -1); the direct map lies in the kernel half
    /// below the text mapping at 0xffffffff80000000, the kernel text above it.
    public static func kcoreLayout(header bytes: [UInt8]) -> KcoreLayout {
        var layout = KcoreLayout()
        var reader = ByteReader(bytes, byteOrder: .little)
        guard bytes.count >= 64, bytes[0] == 0x7f, bytes[1] == 0x45, bytes[4] == 2, bytes[5] == 1,
              let phoff = try? reader.peek(UInt64.self, at: 0x20, field: "e_phoff"),
              let phnum = try? reader.peek(UInt16.self, at: 0x38, field: "e_phnum") else { return layout }
        for index in 0..<Int(phnum) {
            reader.offset = Int(clamping: phoff) &+ index * 56
            guard let type = try? reader.read(UInt32.self, field: "p_type"),
                  (try? reader.read(UInt32.self, field: "p_flags")) != nil,
                  (try? reader.read(UInt64.self, field: "p_offset")) != nil,
                  let vaddr = try? reader.read(UInt64.self, field: "p_vaddr"),
                  let paddr = try? reader.read(UInt64.self, field: "p_paddr"),
                  (try? reader.read(UInt64.self, field: "p_filesz")) != nil,
                  let memsz = try? reader.read(UInt64.self, field: "p_memsz") else { break }
            guard type == 1, paddr < 1 << 52 else { continue }
            if vaddr >= 0xffff_ffff_8000_0000 {
                if layout.text == nil, let range = try? PhysicalRange(start: PhysicalAddress(paddr), size: memsz) {
                    layout.text = (range, vaddr)
                }
            } else if vaddr >= 0xffff_8000_0000_0000, vaddr >= paddr, layout.pageOffset == nil {
                layout.pageOffset = vaddr - paddr
            }
        }
        return layout
    }

    /// PAGE_OFFSET from /proc/kcore's program headers (see ``kcoreLayout(header:)``).
    public static func pageOffset(kcoreHeader bytes: [UInt8]) -> UInt64? {
        kcoreLayout(header: bytes).pageOffset
    }

    /// The running kernel's image as one physical range: "Kernel code" through
    /// "Kernel bss", page-aligned outward (what the kernel-text PT_LOAD covers).
    public static func kernelImageRange(_ iomem: IOMem) -> PhysicalRange? {
        let parts = iomem.kernelImage.map(\.range)
        guard let low = parts.map(\.lowerBound).min(), let high = parts.map(\.upperBound).max() else { return nil }
        return try? PhysicalRange(unchecked: low, high).alignedOutward(to: .kib4)
    }

    /// Reads the running kernel's crash state (as root): CPU notes of every present
    /// CPU, VMCOREINFO, and from /proc/kcore the kernel text (`_text`.._end`, as
    /// kexec-tools takes it) and PAGE_OFFSET; without /proc/kcore the text comes from
    /// `iomem` and `_stext` in /proc/kallsyms, and PAGE_OFFSET is x86_64's default.
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
        let kcore = (try? FileReader.readPrefix(proc.appending("kcore"), count: 1 << 16)).map { kcoreLayout(header: $0) }
        var text: (physical: PhysicalRange, virtualStart: UInt64)? = kcore?.text
        if text == nil, let image = kernelImageRange(iomem),
           let code = iomem.kernelImage.first(where: { $0.name == "Kernel code" }),
           let kallsyms = try? FileReader.readText(proc.appending("kallsyms"), limit: 1 << 28),
           let stext = parseStext(kallsyms: kallsyms) {
            // _stext is "Kernel code"'s start; the image range starts at or below it.
            text = (image, stext &- (code.range.lowerBound.rawValue - image.lowerBound.rawValue))
        }
        return CrashState(cpuNotes: notes, vmcoreinfo: vmcoreinfo, kernelText: text, pageOffset: kcore?.pageOffset ?? pageOffset)
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
