import ArchI386
import ArchPPC
import ArchX86_64
import ArgumentParser
import KexecCore
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// kexec-loader: load a kernel to boot now (-l) or on panic (-p), boot it (-e),
/// unload it (-u) or report what is loaded (-S). Flags follow kexec-tools.
@main
struct KexecLoader: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kexec-loader",
        abstract: "Load a Linux kernel to boot directly (kexec) or on panic (kdump).",
        discussion: """
            Flags follow kexec-tools: `kexec-loader -l KERNEL --initrd=FILE --append="ARGS"` \
            then `kexec-loader -e`. -l plans the load itself (segments, boot parameters, the \
            suite's purgatory, which checks every segment's SHA-256) and calls kexec_load; -s \
            lets the kernel load the image with kexec_file_load instead. -S exits 1 when the \
            image (crash by default, normal with -l) is loaded and 0 when not, as `kexec -S` does.

            With -p the kexec_load path builds the ELF core header (elfcorehdr) from the running \
            kernel's crash notes and VMCOREINFO, places everything inside the crash region and \
            adds elfcorehdr= to the capture kernel's command line.
            """,
        version: "0.1.0")

    // Actions.
    @Flag(name: [.customShort("l"), .customLong("load")], help: "Load the kernel to boot with -e.")
    var load = false
    @Flag(name: [.customShort("p"), .customLong("load-panic")], help: "Load the kernel to boot on panic.")
    var loadPanic = false
    @Flag(name: [.customShort("u"), .customLong("unload")], help: "Unload the image (the crash image with -p).")
    var unload = false
    @Flag(name: [.customShort("e"), .customLong("exec")], help: "Boot the loaded kernel now.")
    var exec = false
    @Flag(name: [.customShort("f"), .customLong("force")], help: "Load KERNEL and boot it at once, without shutdown.")
    var force = false
    @Flag(name: [.customShort("S"), .customLong("status")],
          help: "Print what is loaded; exit 1 if the image (crash, or normal with -l) is loaded, else 0.")
    var status = false

    // System call selection.
    @Flag(name: [.customShort("s"), .customLong("kexec-file-syscall")], help: "Use kexec_file_load.")
    var fileSyscall = false
    @Flag(name: [.customShort("c"), .customLong("kexec-syscall")], help: "Use kexec_load with the suite's purgatory (default).")
    var loadSyscall = false
    @Flag(name: [.customShort("a"), .customLong("kexec-syscall-auto")],
          help: "Try kexec_file_load, then kexec_load where the kernel refused the image.")
    var autoSyscall = false

    // Image options.
    @Option(name: [.customShort("t"), .customLong("type")], help: "Image type: bzImage64, bzImage, elf-x86_64, elf-x86, elf-ppc64 or elf-ppc (default: probe the file).")
    var type: String?
    @Option(name: [.customLong("initrd"), .customLong("ramdisk")], help: "Initial ramdisk for the new kernel.")
    var initrd: String?
    @Option(name: .customLong("append"), help: "Command line for the new kernel (added after --reuse-cmdline's).")
    var append: String?
    @Option(name: .customLong("command-line"), help: "Same as --append.")
    var commandLine: String?
    @Flag(name: .customLong("reuse-cmdline"), help: "Start from the running kernel's command line (without BOOT_IMAGE=, and crashkernel= for -p).")
    var reuseCmdline = false

    // kexec-tools flags accepted for compatibility.
    @Flag(name: [.customShort("x"), .customLong("no-ifdown")], help: "Accepted for kexec-tools compatibility (interfaces are never brought down).")
    var noIfdown = false
    @Flag(name: [.customShort("y"), .customLong("no-sync")], help: "Do not sync file systems before -e.")
    var noSync = false

    @Flag(name: .customLong("dry-run"), help: "Do everything but the system call, then print the plan (or the call, with -s).")
    var dryRun = false

    // Planning (the kexec_load path).
    @Option(name: .customLong("arch"), help: "Architecture of the running kernel to plan for: x86_64, i386, ppc64le, ppc64, ppc (default: this machine's).")
    var arch: ArchitectureArgument?
    @Option(name: .customLong("device-tree"),
            help: "PowerPC: the running system's device tree, a /proc/device-tree copy (directory) or a .dtb (default: /proc/device-tree). With -p, crash notes and VMCOREINFO come from /sys (or KEXEC_SUITE_SYSFS).")
    var deviceTree: String?
    @Option(name: .customLong("iomem"), help: "Plan with this /proc/iomem text instead of the running machine's.")
    var iomem: String?
    @Option(name: .customLong("memmap"), help: "Pass this /sys/firmware/memmap-style directory to the new kernel as its e820 map.")
    var memmap: String?
    @Option(name: .customLong("mem-min"), help: "Lowest physical address to load into (hex).")
    var memMin: HexAddress?
    @Option(name: .customLong("mem-max"), help: "Highest physical address to load into (hex).")
    var memMax: HexAddress?
    @Flag(name: .customLong("plan-json"), help: "Print the plan as JSON, alone on stdout (then load, unless --dry-run).")
    var planJSON = false
    @Option(name: .customLong("write-plan"), help: "Write the plan to FILE for kexec-apply instead of loading it.")
    var writePlan: String?
    @Flag(name: .customLong("console-serial"), help: "Let purgatory report on the serial console (COM1; ppc64: the hypervisor console).")
    var consoleSerial = false
    @Option(name: .customLong("test-corrupt-segment"), help: .hidden)
    var testCorruptSegment: Int?

    @Argument(help: "The kernel image to load.")
    var kernel: String?

    var kind: ImageKind { loadPanic ? .crash : .normal }

    func validate() throws {
        let actions = [load || loadPanic, unload, exec, force, status].filter { $0 }.count
        if actions == 0 { throw ValidationError("give one of -l, -p, -u, -e, -f or -S") }
        if actions > 1 && !(status && load) && !(status && loadPanic) && !(unload && loadPanic) {
            throw ValidationError("-l/-p, -u, -e, -f and -S are exclusive (except -S or -u with -l/-p)")
        }
        if load && loadPanic { throw ValidationError("-l and -p are exclusive") }
        if [fileSyscall, loadSyscall, autoSyscall].filter({ $0 }).count > 1 {
            throw ValidationError("-s, -c and -a are exclusive")
        }
        let loading = (load || loadPanic || force) && !status && !unload
        if loading && kernel == nil { throw ValidationError("no kernel image given") }
        if !loading && kernel != nil { throw ValidationError("a kernel image is only taken with -l, -p or -f") }
        if append != nil && commandLine != nil { throw ValidationError("give --append or --command-line, not both") }
        let planning = iomem != nil || memmap != nil || planJSON || writePlan != nil || arch != nil || testCorruptSegment != nil
            || deviceTree != nil
        if planning && fileSyscall {
            throw ValidationError("--iomem, --memmap, --arch, --device-tree, --plan-json and --write-plan plan a kexec_load; they do not apply to -s")
        }
        if planning && !loading { throw ValidationError("planning options need -l or -p") }
    }

    func run() throws {
        let environment = LoaderEnvironment()
        let kexec = KexecKernel(systemCalls: dryRun ? RecordingKexecSystemCalls() : environment.systemCalls)
        defer { if !dryRun { environment.writeTrace() } }
        do {
            if status {
                try runStatus(environment)
            } else if unload {
                try kexec.unload(kind: kind, using: fileSyscall ? .kexecFileLoad : .kexecLoad)
            } else if exec {
                try runExec(kexec, environment)
            } else {
                try runLoad(kexec, environment)
                if force { try kexec.execute(sync: !noSync) }
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            printError("\(error)")
            throw ExitCode.failure
        }
        if dryRun, fileSyscall || unload || exec, let recorder = kexec.systemCalls as? RecordingKexecSystemCalls {
            for call in recorder.calls { print("dry run: would call \(call)") }
        }
    }

    private func runStatus(_ environment: LoaderEnvironment) throws {
        // Exit codes 0 and 1 carry the answer (kexec-tools' -S); errors exit 2.
        let current: KexecStatus
        do {
            current = try KexecStatus.read(sysfs: environment.sysfs)
        } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
        let size = current.crashSize.map { "\($0) bytes reserved" } ?? "no crash support"
        print("normal image: \(current.normalLoaded ? "loaded" : "not loaded")")
        print("crash image: \(current.crashLoaded ? "loaded" : "not loaded") (\(size))")
        // kexec-tools: -S alone asks about the crash image, -S -l about the normal one.
        throw ExitCode(current.isLoaded(load ? .normal : .crash) ? 1 : 0)
    }

    private func runExec(_ kexec: KexecKernel, _ environment: LoaderEnvironment) throws {
        if !dryRun, let current = try? KexecStatus.read(sysfs: environment.sysfs), !current.normalLoaded {
            printError("nothing has been loaded: load a kernel with -l first")
            throw ExitCode.failure
        }
        try kexec.execute(sync: !noSync)
    }

    private func commandLineText(_ environment: LoaderEnvironment) throws -> String {
        var words: [String] = []
        if reuseCmdline {
            let running = KernelCommandLine(try FileReader.readText(environment.procCmdline, limit: 1 << 16))
            words += running.reused(for: kind).words
        }
        if let extra = append ?? commandLine { words += KernelCommandLine(extra).words }
        return KernelCommandLine(words: words).description
    }

    private func runLoad(_ kexec: KexecKernel, _ environment: LoaderEnvironment) throws {
        let line = try commandLineText(environment)
        if fileSyscall || autoSyscall {
            let fallback = try loadFile(kexec, commandLine: line)
            guard fallback else { return }
            printError("falling back to kexec_load")
        }
        try loadPlanned(kexec, environment, commandLine: line)
    }

    /// kexec_file_load; returns true when -a should fall back to kexec_load.
    private func loadFile(_ kexec: KexecKernel, commandLine line: String) throws -> Bool {
        guard let kernel else { throw ValidationError("no kernel image given") }
        let kernelFD = try open(kernel, what: "kernel")
        let initrdFD: FileDescriptor?
        do {
            initrdFD = try initrd.map { try open($0, what: "initrd") }
        } catch {
            try? kernelFD.close()
            throw error
        }
        let result = Result { () throws(KexecError) in
            try kexec.loadFile(kernel: kernelFD, initrd: initrdFD, commandLine: line, kind: kind)
        }
        try? kernelFD.close()
        try? initrdFD?.close()
        if case .failure(let error) = result {
            printError("\(error)")
            if error.allowsFallbackToKexecLoad && autoSyscall { return true }
            throw ExitCode.failure
        }
        return false
    }

    /// Plans the load (segments, boot parameters, purgatory), proves it, and loads
    /// it with kexec_load, or prints or writes it.
    private func loadPlanned(_ kexec: KexecKernel, _ environment: LoaderEnvironment, commandLine line: String) throws {
        guard let kernel else { throw ValidationError("no kernel image given") }
        guard let architecture = arch?.value ?? KexecArchitecture.host else {
            throw ValidationError("cannot tell this machine's architecture; give --arch")
        }
        let kernelBytes = try read(kernel, what: "kernel")
        let initrdBytes = try initrd.map { try read($0, what: "initrd") }
        let powerPC: Set<KexecArchitecture> = [.ppc64le, .ppc64, .ppc]
        if deviceTree != nil && !powerPC.contains(architecture) {
            throw ValidationError("--device-tree is for PowerPC (--arch ppc64le, ppc64 or ppc), not \(architecture)")
        }
        if powerPC.contains(architecture) {
            return try loadPlannedPowerPC(kexec, environment, commandLine: line, architecture: architecture,
                                          kernel: kernelBytes, initrd: initrdBytes)
        }
        let iomemTree = try IOMem.read(from: FilePath(iomem ?? "/proc/iomem"))
        let iomemMap = MemoryMap(iomem: iomemTree)
        // A capture kernel learns about the crashed one from the ELF core header,
        // built from the running kernel's crash notes and VMCOREINFO.
        let crashState = kind == .crash && iomem == nil
            ? try CrashState.read(sysfs: environment.sysfs, iomem: iomemTree) : nil
        var firmware: [MemoryRegion]?
        if let memmap {
            firmware = try FirmwareMemoryMap.read(directory: FilePath(memmap)).resolved()
        } else if iomem == nil, let live = try? FirmwareMemoryMap.read() {
            firmware = live.resolved()
        }
        let input = ImageLoadInput(
            kernel: kernelBytes, initrd: initrdBytes, commandLine: line, kind: kind, architecture: architecture,
            memoryMap: iomemMap, firmwareMap: firmware, memoryMinimum: memMin?.address, memoryMaximum: memMax?.address,
            purgatorySerialConsole: consoleSerial, corruptSegmentForTesting: testCorruptSegment, crashState: crashState)
        try finish(kexec, input: input, architecture: architecture)
    }

    /// PowerPC: the memory layout and the next kernel's tree come from the device
    /// tree (there is no usable /proc/iomem); kdump's crash notes from sysfs.
    private func loadPlannedPowerPC(_ kexec: KexecKernel, _ environment: LoaderEnvironment, commandLine line: String,
                                    architecture: KexecArchitecture, kernel: [UInt8], initrd: [UInt8]?) throws {
        let tree = try PPCDeviceTreeSource.blob(at: deviceTree ?? "/proc/device-tree")
        // Only the crash notes and VMCOREINFO are used: ppc64 has no kernel-text PT_LOAD.
        // Planning for another machine must read that machine's sysfs, never this one's.
        if kind == .crash && architecture != KexecArchitecture.host && environment.sysfs == FilePath("/sys") {
            throw ValidationError("a crash plan for \(architecture) needs that machine's crash notes and VMCOREINFO: set KEXEC_SUITE_SYSFS=DIR to a copy of its /sys (DIR/devices/system/cpu/cpuN/crash_notes, DIR/kernel/vmcoreinfo)")
        }
        let crashState = kind == .crash
            ? try CrashState.read(sysfs: environment.sysfs, iomem: IOMem(resources: []), pageOffset: PPCCrashHeader.pageOffset64)
            : nil
        let input = ImageLoadInput(
            kernel: kernel, initrd: initrd, commandLine: line, kind: kind, architecture: architecture,
            memoryMap: MemoryMap(regions: []),
            memoryMinimum: memMin?.address, memoryMaximum: memMax?.address, purgatorySerialConsole: consoleSerial,
            corruptSegmentForTesting: testCorruptSegment, crashState: crashState, deviceTree: tree)
        try finish(kexec, input: input, architecture: architecture)
    }

    /// Picks the loader, plans, and prints, writes or loads the plan.
    private func finish(_ kexec: KexecKernel, input: ImageLoadInput, architecture: KexecArchitecture) throws {
        let kernelBytes = input.kernel
        let registry = ImageLoaderRegistry(ArchX86_64.imageLoaders + ArchI386.imageLoaders + ArchPPC.imageLoaders)
        let loader = try registry.loader(for: kernelBytes, architecture: architecture, type: type)
        let plan = try loader.plan(input)
        if planJSON { print(plan.json(), terminator: "") }
        if let writePlan {
            let bytes = PlanFile.encode(plan.loadRequest, architecture: architecture)
            let fd = try FileDescriptor.open(FilePath(writePlan), .writeOnly, options: [.create, .truncate],
                                             permissions: [.ownerReadWrite, .groupRead, .otherRead])
            defer { try? fd.close() }
            _ = try fd.writeAll(bytes)
            if !planJSON { print("wrote \(writePlan): \(loader.name) plan, \(plan.loadRequest.segments.count) segments, \(bytes.count) bytes") }
            return
        }
        if dryRun {
            if !planJSON { print(plan.listing(), terminator: "") }
            return
        }
        try kexec.load(plan.loadRequest)
    }

    private func read(_ path: String, what: String) throws -> [UInt8] {
        do {
            return try FileReader.readAll(FilePath(path))
        } catch {
            printError("cannot read \(what) \(path): \(error)")
            throw ExitCode.failure
        }
    }

    private func open(_ path: String, what: String) throws -> FileDescriptor {
        do {
            return try FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec])
        } catch {
            printError("cannot open \(what) \(path): \(error)")
            throw ExitCode.failure
        }
    }
}

func printError(_ message: String) {
    var stderr = StandardError()
    print("kexec-loader: \(message)", to: &stderr)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        _ = try? FileDescriptor.standardError.writeAll(string.utf8)
    }
}

/// A hex address option (`0x1000000` or `1000000`).
struct HexAddress: ExpressibleByArgument {
    let address: PhysicalAddress
    init?(argument: String) {
        var digits = Substring(argument)
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") { digits = digits.dropFirst(2) }
        guard let value = UInt64(digits, radix: 16) else { return nil }
        address = PhysicalAddress(value)
    }
}

/// An `--arch` value.
struct ArchitectureArgument: ExpressibleByArgument {
    let value: KexecArchitecture
    init?(argument: String) {
        guard let value = KexecArchitecture(rawValue: argument) else { return nil }
        self.value = value
    }
    static var allValueStrings: [String] { KexecArchitecture.allCases.map(\.rawValue) }
}
