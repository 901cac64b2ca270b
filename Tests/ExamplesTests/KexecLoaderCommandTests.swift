import Foundation
import KexecCore
import KexecTestSupport
import Testing

/// End-to-end tests of the kexec-loader executable. Every run goes through the
/// recording seam (KEXEC_SUITE_SYSCALL_TRACE) with live calls forbidden
/// (KEXEC_SUITE_FORBID_LIVE), so nothing reaches the host's kernel.
struct LoaderRun {
    var status: Int32
    var stdout: String
    var stderr: String
    var trace: [String]
}

enum Loader {
    static var binDirectory: URL {
        // The test bundle runs from the build products directory, next to the executables.
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return exe.deletingLastPathComponent()
    }

    static func run(_ arguments: [String], product: String = "kexec-loader", errno: Int32? = nil,
                    sysfs: (loaded: String, crashLoaded: String, crashSize: String?)? = nil,
                    cmdline: String? = nil) throws -> LoaderRun {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kexec-loader-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let trace = scratch.appendingPathComponent("trace")
        var environment = ProcessInfo.processInfo.environment
        environment["KEXEC_SUITE_SYSCALL_TRACE"] = trace.path
        environment["KEXEC_SUITE_FORBID_LIVE"] = "1"
        if let errno { environment["KEXEC_SUITE_SYSCALL_ERRNO"] = String(errno) }
        if let sysfs {
            let kernel = scratch.appendingPathComponent("sys/kernel")
            try FileManager.default.createDirectory(at: kernel, withIntermediateDirectories: true)
            try (sysfs.loaded + "\n").write(to: kernel.appendingPathComponent("kexec_loaded"), atomically: true, encoding: .utf8)
            try (sysfs.crashLoaded + "\n").write(to: kernel.appendingPathComponent("kexec_crash_loaded"), atomically: true, encoding: .utf8)
            if let size = sysfs.crashSize {
                try (size + "\n").write(to: kernel.appendingPathComponent("kexec_crash_size"), atomically: true, encoding: .utf8)
            }
            environment["KEXEC_SUITE_SYSFS"] = scratch.appendingPathComponent("sys").path
        } else {
            environment["KEXEC_SUITE_SYSFS"] = scratch.appendingPathComponent("no-sysfs").path
        }
        if let cmdline {
            let file = scratch.appendingPathComponent("cmdline")
            try cmdline.write(to: file, atomically: true, encoding: .utf8)
            environment["KEXEC_SUITE_PROC_CMDLINE"] = file.path
        }
        let process = Process()
        process.executableURL = binDirectory.appendingPathComponent(product)
        process.arguments = arguments
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let traceText = (try? String(contentsOf: trace, encoding: .utf8)) ?? ""
        return LoaderRun(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self),
                         trace: traceText.split(separator: "\n").map(String.init))
    }

    /// Two small files standing in for a kernel and an initrd (the seam never reads them).
    static func images() throws -> (kernel: String, initrd: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kexec-loader-images")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let kernel = dir.appendingPathComponent("vmlinuz")
        let initrd = dir.appendingPathComponent("initrd.img")
        try Data("kernel".utf8).write(to: kernel)
        try Data("initrd".utf8).write(to: initrd)
        return (kernel.path, initrd.path)
    }
}

@Suite("kexec-loader end to end", .serialized)
struct KexecLoaderCommandTests {
    @Test func helpNamesTheKexecToolsFlags() throws {
        let run = try Loader.run(["--help"])
        #expect(run.status == 0)
        for flag in ["-l, --load", "-p, --load-panic", "-u, --unload", "-e, --exec", "-S, --status",
                     "-s, --kexec-file-syscall", "--initrd, --ramdisk", "--append", "--command-line",
                     "--reuse-cmdline", "--dry-run", "-t, --type"] {
            #expect(run.stdout.contains(flag), "help lacks \(flag)")
        }
    }

    @Test func fileLoadInKexecToolsSpelling() throws {
        let (kernel, initrd) = try Loader.images()
        let run = try Loader.run(["-s", "-l", kernel, "--initrd=\(initrd)", "--append=console=ttyS0 quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.trace.count == 1)
        let line = try #require(run.trace.first)
        #expect(line.hasPrefix("kexec_file_load kernel_fd="))
        #expect(line.contains("(\(kernel))") && line.contains("(\(initrd))"))
        #expect(line.hasSuffix("cmdline_len=20 cmdline=\"console=ttyS0 quiet\" flags=0x0"))
    }

    @Test func panicLoadReusesTheCommandLineWithoutCrashkernel() throws {
        let (kernel, _) = try Loader.images()
        let run = try Loader.run(["-s", "-p", kernel, "--reuse-cmdline", "--append", "irqpoll nr_cpus=1"],
                                 cmdline: "BOOT_IMAGE=/boot/vmlinuz root=/dev/vda1 crashkernel=256M console=ttyS0\n")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.trace.first?.hasSuffix("cmdline=\"root=/dev/vda1 console=ttyS0 irqpoll nr_cpus=1\" flags=0x6") == true,
                "\(run.trace)")
    }

    @Test func statusExitCodesFollowKexecTools() throws {
        let none = try Loader.run(["-S"], sysfs: ("0", "0", "0"))
        #expect(none.status == 0)
        #expect(none.stdout == "normal image: not loaded\ncrash image: not loaded (0 bytes reserved)\n")
        #expect(try Loader.run(["-S"], sysfs: ("1", "0", "0")).status == 0, "-S alone asks about the crash image")
        #expect(try Loader.run(["-S", "-l"], sysfs: ("1", "0", "0")).status == 1)
        #expect(try Loader.run(["-S", "-p"], sysfs: ("0", "1", "268435456")).status == 1)
        let crash = try Loader.run(["-S"], sysfs: ("0", "1", "268435456"))
        #expect(crash.status == 1 && crash.stdout.contains("crash image: loaded (268435456 bytes reserved)"))
        let missing = try Loader.run(["-S"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("without kexec support"))
        #expect(missing.trace.isEmpty)
    }

    @Test func unloadBothImagesBothWays() throws {
        #expect(try Loader.run(["-u"]).trace == ["kexec_load entry=0x0 nr=0 flags=0x0 "])
        #expect(try Loader.run(["-u", "-p"]).trace == ["kexec_load entry=0x0 nr=0 flags=0x1 "])
        #expect(try Loader.run(["-s", "-u", "-p"]).trace
            == ["kexec_file_load kernel_fd=-1 (-) initrd_fd=-1 (-) cmdline_len=0 cmdline=\"\" flags=0x3"])
    }

    @Test func execSyncsThenReboots() throws {
        let run = try Loader.run(["-e"], sysfs: ("1", "0", "0"))
        #expect(run.status == 0)
        #expect(run.trace == ["sync", "reboot magic1=0xfee1dead magic2=0x28121969 cmd=0x45584543"])
        #expect(try Loader.run(["-e", "-y"], sysfs: ("1", "0", "0")).trace == ["reboot magic1=0xfee1dead magic2=0x28121969 cmd=0x45584543"])
        let nothing = try Loader.run(["-e"], sysfs: ("0", "0", "0"))
        #expect(nothing.status == 1 && nothing.trace.isEmpty)
        #expect(nothing.stderr.contains("nothing has been loaded"))
    }

    @Test(arguments: [
        (Int32(1), "signature policy"), (129, "rejected the image's signature"), (38, "CONFIG_KEXEC_FILE"),
        (12, "could not allocate"), (16, "busy"),
    ])
    func kernelRefusalsGiveActionableMessages(errno: Int32, advice: String) throws {
        let (kernel, _) = try Loader.images()
        let run = try Loader.run(["-s", "-l", kernel], errno: errno)
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("kexec-loader: kexec_file_load (normal image) failed: "))
        #expect(run.stderr.contains(advice), "\(run.stderr)")
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("KexecCoreTests/Fixtures")
    static var iomem2G: String { fixtures.appendingPathComponent("iomem/qemu-x86_64-2G.txt").path }
    static var memmap2G: String { fixtures.appendingPathComponent("memmap/qemu-x86_64-2G").path }

    static func bzImage() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kexec-loader-bzImage-\(UUID().uuidString)")
        try Data(SyntheticBzImage.make()).write(to: path)
        return path.path
    }

    @Test func autoModeFallsBackToThePlannedLoad() throws {
        let (_, initrd) = try Loader.images()
        let kernel = try Self.bzImage()
        let run = try Loader.run(["-a", "-l", kernel, "--initrd", initrd, "--iomem", Self.iomem2G], errno: 8)
        #expect(run.status == 1)  // the injected errno answers the kexec_load too
        #expect(run.stderr.contains("falling back to kexec_load"))
        #expect(run.trace.count == 2)
        #expect(run.trace.first?.hasPrefix("kexec_file_load") == true)
        #expect(run.trace.last?.hasPrefix("kexec_load entry=") == true)
    }

    @Test func plannedLoadPassesFourSegmentsToKexecLoad() throws {
        let (_, initrd) = try Loader.images()
        let kernel = try Self.bzImage()
        let run = try Loader.run(["-l", kernel, "--initrd=\(initrd)", "--append=console=ttyS0", "--iomem", Self.iomem2G,
                                  "--memmap", Self.memmap2G])
        #expect(run.status == 0, "\(run.stderr)")
        let line = try #require(run.trace.first)
        #expect(line.hasPrefix("kexec_load entry=0x7ffda000 "), "\(line)")
        #expect(line.contains(" nr=4 flags=0x3e0000 "))
        #expect(line.contains("mem=0x7fa00000 memsz=0x400000 bufsz=0x10000"), "kernel: 2 MiB aligned, init_size 4 MiB: \(line)")
    }

    @Test func planOutputs() throws {
        let kernel = try Self.bzImage()
        let base = ["-l", kernel, "--append=quiet", "--iomem", Self.iomem2G]
        let dry = try Loader.run(base + ["--dry-run"])
        #expect(dry.status == 0 && dry.trace.isEmpty)
        #expect(dry.stdout.hasPrefix("kexec plan: x86_64 normal image, entry 0x"))
        #expect(dry.stdout.contains("boot-params"))
        let json = try Loader.run(base + ["--plan-json", "--dry-run"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect((object?["segments"] as? [Any])?.count == 3)
        let planPath = FileManager.default.temporaryDirectory.appendingPathComponent("plan-\(UUID().uuidString)").path
        let written = try Loader.run(base + ["--arch", "i386", "--write-plan", planPath])
        #expect(written.status == 0 && written.trace.isEmpty, "\(written.stderr)")
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: planPath)))
        let plan = try PlanFile.decode(bytes)
        #expect(plan.machine == 3 && plan.flags == 0x3_0000 && plan.segments.count == 3)
        #expect(plan.segments.allSatisfy { $0.destination.upperBound.rawValue < 0xffff_ffff })
    }

    @Test func unknownTypeAndUnrecognisedFilesAreClearErrors() throws {
        let (kernel, _) = try Loader.images()
        let typed = try Loader.run(["-t", "multiboot", "-l", kernel, "--iomem", Self.iomem2G])
        #expect(typed.status == 1 && typed.stderr.contains("no image type multiboot for x86_64"))
        let unknown = try Loader.run(["-l", kernel, "--iomem", Self.iomem2G])
        #expect(unknown.status == 1 && unknown.stderr.contains("cannot determine the file type"))
        let crash = try Loader.run(["-p", try Self.bzImage(), "--iomem",
                                    Self.fixtures.appendingPathComponent("iomem/qemu-x86_64-2G-crashkernel-256M.txt").path])
        #expect(crash.status == 1 && crash.stderr.contains("crash state"), "\(crash.stderr)")
    }

    @Test func dryRunMakesNoCall() throws {
        let (kernel, _) = try Loader.images()
        let run = try Loader.run(["-s", "-l", kernel, "--command-line", "a=b", "--dry-run"])
        #expect(run.status == 0)
        #expect(run.trace.isEmpty)
        #expect(run.stdout.hasPrefix("dry run: would call kexec_file_load"))
        #expect(run.stdout.contains("cmdline=\"a=b\" flags=0x4"))
    }

    @Test(arguments: [
        [String](), ["-l"], ["-l", "-e", "x"], ["-s", "-c", "-l", "x"], ["-l", "x", "--append", "a", "--command-line", "b"],
        ["-u", "x"], ["-l", "-p", "x"], ["-s", "-l", "x", "--iomem", "y"], ["-e", "--plan-json"],
    ])
    func invalidCombinationsAreUsageErrors(arguments: [String]) throws {
        let run = try Loader.run(arguments)
        #expect(run.status == 64, "\(arguments): \(run.stderr)")
        #expect(run.trace.isEmpty)
    }

    @Test func missingKernelFileIsAClearError() throws {
        let run = try Loader.run(["-s", "-l", "/nonexistent/vmlinuz"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("cannot open kernel /nonexistent/vmlinuz"))
    }
}
