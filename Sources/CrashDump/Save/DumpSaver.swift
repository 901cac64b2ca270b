public import ElfNotes
import KexecCore

/// Filters, compresses and writes a dump: `vmcore-dump save`.
///
/// ```swift
/// let vmcore = try Vmcore.open(path: "/proc/vmcore")
/// let sink = try FileDumpSink(creating: "/var/crash/dump.kdump")
/// let summary = try DumpSaver.save(vmcore, to: sink,
///                                  options: SaveOptions(format: .kdump, codec: .zstd, dumpLevel: .all, threads: 4))
/// ```
public enum DumpSaver {
    /// Writes `vmcore` to `sink` as `options` say.
    ///
    /// Dump levels with page-descriptor bits (2, 4, 8, 16) need VMCOREINFO and an
    /// x86_64 or i386 kernel; zero pages (bit 1) are found by content anywhere.
    /// - Parameter progress: called now and then from the calling thread.
    /// - Returns: page counts and sizes.
    /// - Throws: ``CrashDumpError``: a read error of the page tables or page
    ///   descriptors, missing VMCOREINFO, or a write error - after which the
    ///   output is marked incomplete (kdump status bit 0x8, ELF `e_flags` 1) and
    ///   holds every page written before the failure.
    public static func save(_ vmcore: Vmcore, to sink: any DumpSink, options: SaveOptions,
                            progress: ((SaveProgress) -> Void)? = nil) throws(CrashDumpError) -> SaveSummary {
        let input = try dumpInput(vmcore)
        let filter = try pageFilter(vmcore, level: options.dumpLevel)
        let throttle = ProgressThrottle(handler: progress)
        var summary: SaveSummary
        switch options.format {
        case .elf:
            summary = try ElfDumpWriter(input: input, options: options, filter: filter, sink: sink, progress: throttle).write()
        case .kdump, .flat:
            guard let architecture = vmcore.architecture else {
                throw .unsupported("kdump-compressed output of a dump whose architecture is unknown (use --format elf)")
            }
            let codec = options.codec
            let pageSize = vmcore.pageSize
            summary = try KdumpDumpWriter(
                input: input, options: options, filter: filter, sink: sink, progress: throttle,
                makeEncoder: { () throws(CrashDumpError) -> (any PageEncoding)? in
                    guard codec != .none else { return nil }
                    do {
                        return try codec.makeCompressor(pageSize: pageSize)
                    } catch {
                        throw .unsupported("the \(codec) codec: \(error)")
                    }
                },
                layout: KdumpHeaderLayout(architecture: architecture)).write()
        }
        if let classifier = filter as? ClassifierPageFilter { summary.pageClasses = classifier.statistics }
        return summary
    }

    /// The page filter for `level`: the page classifier, which also drops
    /// hardware-poisoned and offline pages at levels 0 and 1 as makedumpfile does
    /// when the kernel says how to find them; at those levels a dump the
    /// classifier cannot read is copied whole instead of failing.
    static func pageFilter(_ vmcore: Vmcore, level: DumpLevel) throws(CrashDumpError) -> any PageFilter {
        do {
            return try classifierFilter(vmcore, level: level)
        } catch {
            guard level.descriptorBits.isEmpty else { throw error }
            return KeepAllPages()
        }
    }

    static func classifierFilter(_ vmcore: Vmcore, level: DumpLevel) throws(CrashDumpError) -> any PageFilter {
        guard let vmcoreInfo = vmcore.vmcoreInfo else {
            throw .missingVmcoreInfo(key: "VMCOREINFO note", purpose: "dump level \(level.level) (page classes)")
        }
        let kernel = try vmcore.kernelMemory()
        let is64 = vmcore.architecture?.is64Bit ?? true
        let classifier = try PageClassifier(kernel: kernel, vmcoreInfo: vmcoreInfo, byteOrder: vmcore.byteOrder,
                                            pointerSize: is64 ? 8 : 4)
        return ClassifierPageFilter(classifier: classifier, level: level)
    }

    /// What the writers need from `vmcore`.
    static func dumpInput(_ vmcore: Vmcore) throws(CrashDumpError) -> DumpInput {
        let architecture = vmcore.architecture
        let elfClass = vmcore.elfCore?.elfClass ?? ((architecture?.is64Bit ?? true) ? .elf64 : .elf32)
        let machine = vmcore.elfCore?.machine ?? architecture?.elfMachine ?? 0
        var kernelText: (physical: Range<UInt64>, virtualStart: UInt64)? = nil
        var directMap: UInt64? = nil
        if let core = vmcore.elfCore {
            if let text = core.loads.first(where: \.isKernelText) {
                kernelText = (text.physical.lowerBound.rawValue..<text.physical.upperBound.rawValue, text.virtualStart.rawValue)
            }
            directMap = X86_64KernelMemory.directMapBase(fromLoads: core.loads)
        }
        let physBase = vmcore.kdump?.subHeader?.physBase
            ?? UInt64(bitPattern: (try? vmcore.vmcoreInfo?.presentNumber("phys_base")) ?? 0)
        let cpus = vmcore.notes.notes.filter { $0.isNote(name: ElfNote.Name.core, type: ElfNote.NoteType.prstatus) }.count
        return DumpInput(memory: vmcore.memory, notes: vmcore.notes.bytes, byteOrder: vmcore.byteOrder, elfClass: elfClass,
                         machine: machine, utsname: utsname(vmcore), kernelText: kernelText, directMapOffset: directMap,
                         physBase: physBase, cpuCount: cpus)
    }

    /// `init_uts_ns.name` from the crashed kernel's memory, else what VMCOREINFO
    /// and the architecture tell.
    static func utsname(_ vmcore: Vmcore) -> KdumpUtsname {
        if let existing = vmcore.utsname { return existing }
        let release = vmcore.vmcoreInfo?["OSRELEASE"] ?? ""
        let machine: String = switch vmcore.architecture {
        case .x86_64?: "x86_64"
        case .i386?: "i686"
        case .ppc64?: "ppc64"
        case .ppc64le?: "ppc64le"
        case .ppc?: "ppc"
        case nil: ""
        }
        let fallback = KdumpUtsname(sysname: "Linux", release: release, machine: machine)
        guard let info = vmcore.vmcoreInfo,
              let symbol = try? info.presentSymbol("init_uts_ns"),
              let kernel = try? vmcore.kernelMemory() else { return fallback }
        let offset = (try? info.presentOffset("uts_namespace", "name")) ?? 0
        // new_utsname: six 65-byte NUL-terminated fields.
        guard let bytes = try? kernel.read(virtual: symbol &+ offset, count: KdumpUtsname.size) else { return fallback }
        func field(_ index: Int) -> String {
            let slice = bytes[(index * 65)..<(index * 65 + 65)].prefix { $0 != 0 }
            return String(decoding: slice, as: UTF8.self)
        }
        let read = KdumpUtsname(sysname: field(0), nodename: field(1), release: field(2), version: field(3),
                                machine: field(4), domainname: field(5))
        // A plausible copy names the same release VMCOREINFO does.
        return read.sysname == "Linux" && (release.isEmpty || read.release == release) ? read : fallback
    }
}
