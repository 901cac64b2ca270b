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
            Flags follow kexec-tools: `kexec-loader -s -l KERNEL --initrd=FILE --append="ARGS"` \
            then `kexec-loader -e`. -S exits 1 when the image (crash by default, normal with -l) \
            is loaded and 0 when not, as `kexec -S` does.

            This version loads through kexec_file_load (-s); the kexec_load path with the suite's \
            own purgatory (-c) is not implemented yet.
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
    @Flag(name: [.customShort("c"), .customLong("kexec-syscall")], help: "Use kexec_load (not implemented yet).")
    var loadSyscall = false
    @Flag(name: [.customShort("a"), .customLong("kexec-syscall-auto")],
          help: "Try kexec_file_load, then kexec_load where the kernel refused the image (default).")
    var autoSyscall = false

    // Image options.
    @Option(name: [.customShort("t"), .customLong("type")], help: "Image type (this version: bzImage64 through kexec_file_load).")
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

    @Flag(name: .customLong("dry-run"), help: "Do everything but the system call, then print the call that would be made.")
    var dryRun = false

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
        if let type, !["bzImage64", "bzImage", "Image"].contains(type) {
            throw ValidationError("unknown --type \(type); this version loads bzImage64 through kexec_file_load")
        }
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
        if dryRun, let recorder = kexec.systemCalls as? RecordingKexecSystemCalls {
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

    private func runLoad(_ kexec: KexecKernel, _ environment: LoaderEnvironment) throws {
        if loadSyscall {
            printError("the kexec_load path (-c) with the suite's own purgatory is not implemented yet; use -s (kexec_file_load)")
            throw ExitCode.failure
        }
        var words: [String] = []
        if reuseCmdline {
            let running = KernelCommandLine(try FileReader.readText(environment.procCmdline, limit: 1 << 16))
            words += running.reused(for: kind).words
        }
        if let extra = append ?? commandLine { words += KernelCommandLine(extra).words }
        let line = KernelCommandLine(words: words).description

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
            if error.allowsFallbackToKexecLoad && !fileSyscall {
                printError("falling back to kexec_load is not possible yet: that path is not implemented")
            }
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
