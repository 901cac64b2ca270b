import SystemPackage
import Testing
@testable import KexecCore

@Suite("kexec_segment layouts")
struct SegmentLayoutTests {
    let entries = [
        KexecSegmentTableEntry(buffer: 0x0000_7f12_3456_7000, bufferSize: 0x1234, memory: 0x0100_0000, memorySize: 0x2000),
        KexecSegmentTableEntry(buffer: 0, bufferSize: 0, memory: 0x7000, memorySize: 0x1000),
    ]

    @Test func native64LittleEndianByteForByte() throws {
        let bytes = try KexecSegmentLayout.native64(.little).encode(entries)
        #expect(bytes.count == 64)
        #expect(bytes == [
            0x00, 0x70, 0x56, 0x34, 0x12, 0x7f, 0x00, 0x00,  // buf
            0x34, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // bufsz
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,  // mem
            0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // memsz
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x70, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ])
        #expect(try KexecSegmentLayout.native64(.little).decode(bytes, count: 2) == entries)
    }

    @Test func native64BigEndianForPPC64() throws {
        let bytes = try KexecSegmentLayout.native64(.big).encode([entries[0]])
        #expect(Array(bytes[0..<8]) == [0x00, 0x00, 0x7f, 0x12, 0x34, 0x56, 0x70, 0x00])
        #expect(Array(bytes[16..<24]) == [0, 0, 0, 0, 0x01, 0, 0, 0])
        #expect(KexecArchitecture.ppc64.segmentLayout == .native64(.big))
    }

    @Test func compat32ByteForByte() throws {
        let low = [KexecSegmentTableEntry(buffer: 0x0804_a000, bufferSize: 0x1234, memory: 0x0100_0000, memorySize: 0x2000)]
        let bytes = try KexecSegmentLayout.compat32(.little).encode(low)
        #expect(bytes == [
            0x00, 0xa0, 0x04, 0x08,  0x34, 0x12, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x01,  0x00, 0x20, 0x00, 0x00,
        ])
        #expect(try KexecSegmentLayout.compat32(.big).encode(low) == [
            0x08, 0x04, 0xa0, 0x00,  0x00, 0x00, 0x12, 0x34,
            0x01, 0x00, 0x00, 0x00,  0x00, 0x00, 0x20, 0x00,
        ])
        #expect(try KexecSegmentLayout.compat32(.little).decode(bytes, count: 1) == low)
        #expect(KexecArchitecture.i386.segmentLayout == .compat32(.little))
        #expect(KexecArchitecture.ppc.segmentLayout == .compat32(.big))
    }

    @Test func compat32RefusesMemoryAbove4GiB() {
        #expect(throws: KexecSegmentLayoutError.valueTooLarge(segment: 0, field: "buf", value: 0x0000_7f12_3456_7000)) {
            try KexecSegmentLayout.compat32(.little).encode(entries)
        }
        let high = [KexecSegmentTableEntry(buffer: 0x1000, bufferSize: 1, memory: 0x1_0000_0000, memorySize: 0x1000)]
        #expect(throws: KexecSegmentLayoutError.valueTooLarge(segment: 0, field: "mem", value: 0x1_0000_0000)) {
            try KexecSegmentLayout.compat32(.little).encode(high)
        }
    }

    @Test func truncatedTablesAreRefused() throws {
        let bytes = try KexecSegmentLayout.native64(.little).encode(entries)
        #expect {
            try KexecSegmentLayout.native64(.little).decode(Array(bytes.dropLast()), count: 2)
        } throws: { error in
            guard case .truncated(.truncated(let field, let offset, _, _)) = error as? KexecSegmentLayoutError else { return false }
            return field == "segment 1 memsz" && offset == 56
        }
    }

    @Test func architectureNumbers() {
        #expect(KexecArchitecture.x86_64.kexecArchFlag == 0x3e_0000)
        #expect(KexecArchitecture.i386.kexecArchFlag == 0x3_0000)
        #expect(KexecArchitecture.ppc64.kexecArchFlag == 0x15_0000)
        #expect(KexecArchitecture.ppc64le.kexecArchFlag == 0x15_0000)
        #expect(KexecArchitecture.ppc.kexecArchFlag == 0x14_0000)
        #expect(KexecArchitecture.x86_64.syscallNumbers.kexecLoad == 246)
        #expect(KexecArchitecture.x86_64.syscallNumbers.kexecFileLoad == 320)
        #expect(KexecArchitecture.i386.syscallNumbers.kexecFileLoad == nil)
        #expect(KexecArchitecture.ppc64le.defaultPageSize == .kib64)
        #expect(KexecLoadFlags.onCrash.rawValue(architecture: .x86_64) == 0x3e_0001)
        #expect(KexecLoadFlags([]).rawValue(architecture: nil) == 0)
        #expect(KexecFileLoadFlags([.onCrash, .noInitramfs]).rawValue == 6)
    }

    @Test func pageSizes() throws {
        #expect(PageSize.kib4.pages(covering: 0) == 0)
        #expect(PageSize.kib4.pages(covering: 1) == 1)
        #expect(PageSize.kib64.pages(covering: 65537) == 2)
        #expect(throws: AddressError.self) { try PageSize(bytes: 2048) }
        #expect(throws: AddressError.self) { try PageSize(bytes: 12288) }
        #expect(try PageSize(bytes: 16384).alignment.bytes == 16384)
    }
}

@Suite("The kernel interface through the recording seam")
struct KexecKernelTests {
    @Test func loadPassesEverySegmentByteForByte() throws {
        let recorder = RecordingKexecSystemCalls()
        let kernel = KexecKernel(systemCalls: recorder)
        let first = try KexecSegment(buffer: Array(0..<200).map { UInt8($0) }, destination: try PhysicalRange(start: 0x100_0000, size: 0x1000))
        let second = try KexecSegment(buffer: [], destination: try PhysicalRange(start: 0x200_0000, size: 0x2000))
        let third = try KexecSegment(buffer: [UInt8](repeating: 0xab, count: 0x3000), destination: try PhysicalRange(start: 0x300_0000, size: 0x3000))
        let request = KexecLoadRequest(entry: 0x100_0200, segments: [first, second, third], kind: .crash, architecture: .x86_64)
        try kernel.load(request)
        #expect(recorder.calls == [
            .kexecLoad(entry: 0x100_0200, flags: 0x3e_0001, segments: [
                .init(bytes: first.buffer, memory: 0x100_0000, memorySize: 0x1000),
                .init(bytes: [], memory: 0x200_0000, memorySize: 0x2000),
                .init(bytes: third.buffer, memory: 0x300_0000, memorySize: 0x3000),
            ]),
        ])
    }

    @Test func segmentBufferMustFitItsDestination() throws {
        #expect(throws: KexecSegmentError.self) {
            try KexecSegment(buffer: [1, 2, 3], destination: try PhysicalRange(start: 0x1000, size: 2))
        }
    }

    @Test func fileLoadUnloadAndReboot() throws {
        let recorder = RecordingKexecSystemCalls()
        let kernel = KexecKernel(systemCalls: recorder)
        let fd = try FileDescriptor.open("/proc/self/exe", .readOnly)
        defer { try? fd.close() }
        try kernel.loadFile(kernel: fd, initrd: nil, commandLine: "console=ttyS0", kind: .crash)
        try kernel.unload(kind: .crash)
        try kernel.unload(kind: .normal, using: .kexecFileLoad)
        try kernel.execute()
        try kernel.execute(sync: false)
        let calls = recorder.calls
        #expect(calls.count == 6)
        guard case .kexecFileLoad(let kfd, let ifd, let path, nil, let line, let flags) = calls[0] else {
            Issue.record("expected kexec_file_load, got \(calls[0])")
            return
        }
        #expect(kfd == fd.rawValue && ifd == -1 && path != nil)
        #expect(line == Array("console=ttyS0".utf8) + [0])
        #expect(flags == 0x2 | 0x4)
        #expect(calls[1] == .kexecLoad(entry: 0, flags: 0x1, segments: []))
        #expect(calls[2] == .kexecFileLoad(kernelFD: -1, initrdFD: -1, kernelPath: nil, initrdPath: nil, commandLine: [], flags: 0x1))
        #expect(calls[3] == .sync)
        #expect(calls[4] == .reboot(magic1: 0xfee1_dead, magic2: 0x2812_1969, command: 0x4558_4543))
        #expect(calls[5] == .reboot(magic1: 0xfee1_dead, magic2: 0x2812_1969, command: 0x4558_4543))
        #expect(calls[4].description == "reboot magic1=0xfee1dead magic2=0x28121969 cmd=0x45584543")
    }

    static let errnoTable: [(Int32, KexecError.Operation, KexecError.Reason, String)] = [
        (1, .kexecLoad, .notPermitted, "Secure Boot"),
        (1, .kexecFileLoad, .notPermitted, "signature policy"),
        (16, .kexecLoad, .busy, "in progress"),
        (22, .kexecLoad, .invalidArgument, "more than 16"),
        (22, .kexecFileLoad, .invalidArgument, "64-bit bzImages"),
        (22, .reboot, .invalidArgument, "no kernel is loaded"),
        (99, .kexecLoad, .addressNotAvailable, "crash region"),
        (12, .kexecLoad, .outOfMemory, "crashkernel="),
        (8, .kexecFileLoad, .imageNotRecognized, "did not recognise"),
        (129, .kexecFileLoad, .signatureRejected, "signature"),
        (126, .kexecFileLoad, .signatureRejected, "signature"),
        (74, .kexecFileLoad, .signatureRejected, "signature"),
        (38, .kexecFileLoad, .notSupported, "CONFIG_KEXEC_FILE"),
        (38, .kexecLoad, .notSupported, "CONFIG_KEXEC"),
        (14, .kexecLoad, .badAddress, "bug"),
        (9, .kexecFileLoad, .badFileDescriptor, "not open"),
        (5, .kexecLoad, .other, "unexpected"),
    ]

    @Test(arguments: errnoTable)
    func everyErrnoMapsToAnActionableError(errno: Int32, operation: KexecError.Operation, reason: KexecError.Reason, advice: String) throws {
        let recorder = RecordingKexecSystemCalls { _ in Errno(rawValue: errno) }
        let kernel = KexecKernel(systemCalls: recorder)
        let fd = try FileDescriptor.open("/proc/self/exe", .readOnly)
        defer { try? fd.close() }
        do {
            switch operation {
            case .kexecLoad:
                try kernel.load(KexecLoadRequest(entry: 0x1000, segments: [], kind: .crash, architecture: nil))
            case .kexecFileLoad:
                try kernel.loadFile(kernel: fd, initrd: nil, commandLine: "", kind: .normal)
            case .reboot:
                try kernel.execute()
            case .unload:
                try kernel.unload(kind: .normal)
            }
            Issue.record("expected a KexecError")
        } catch let error as KexecError {
            #expect(error.errno.rawValue == errno)
            #expect(error.operation == operation)
            #expect(error.reason == reason)
            #expect(error.description.contains(advice), "\(error)")
        }
    }

    @Test func fallbackFollowsKexecToolsAuto() {
        func error(_ errno: Int32) -> KexecError { KexecError(operation: .kexecFileLoad, kind: .normal, errno: Errno(rawValue: errno)) }
        #expect(error(38).allowsFallbackToKexecLoad)   // ENOSYS
        #expect(error(22).allowsFallbackToKexecLoad)   // EINVAL
        #expect(error(8).allowsFallbackToKexecLoad)    // ENOEXEC
        #expect(!error(129).allowsFallbackToKexecLoad) // EKEYREJECTED is final
        #expect(!error(1).allowsFallbackToKexecLoad)
    }

    @Test func liveCallsRefuseWhenForbidden() {
        // The test process runs with KEXEC_SUITE_FORBID_LIVE set by the test command;
        // if it is not set this test cannot prove anything without risking the host,
        // so it checks the guard only then and otherwise makes no live call.
        guard LinuxKexecSystemCalls.liveCallsForbidden else { return }
        #expect(LinuxKexecSystemCalls().reboot(magic1: 0, magic2: 0, command: 0) == .notPermitted)
    }
}

@Suite("Status and command lines")
struct StatusAndCommandLineTests {
    @Test func statusParses() throws {
        let status = try KexecStatus(kexecLoaded: "1\n", kexecCrashLoaded: "0\n", kexecCrashSize: "268435456\n")
        #expect(status.normalLoaded && !status.crashLoaded && status.crashSize == 256 * MiB)
        #expect(status.isLoaded(.normal) && !status.isLoaded(.crash))
        #expect(try KexecStatus(kexecLoaded: "0", kexecCrashLoaded: "1", kexecCrashSize: nil).crashSize == nil)
        #expect(throws: KexecStatusError(attribute: "kexec_loaded", text: "yes")) {
            try KexecStatus(kexecLoaded: "yes\n", kexecCrashLoaded: "0", kexecCrashSize: nil)
        }
        #expect(throws: KexecStatusError(attribute: "kexec_crash_size", text: "-1")) {
            try KexecStatus(kexecLoaded: "0", kexecCrashLoaded: "0", kexecCrashSize: "-1")
        }
    }

    @Test func commandLineReuse() {
        let running = KernelCommandLine("BOOT_IMAGE=/vmlinuz-6.1 root=/dev/sda1 crashkernel=256M quiet dyndbg=\"file a.c +p\"\n")
        #expect(running.words == ["BOOT_IMAGE=/vmlinuz-6.1", "root=/dev/sda1", "crashkernel=256M", "quiet", "dyndbg=\"file a.c +p\""])
        #expect(running.reused(for: .normal).description == "root=/dev/sda1 crashkernel=256M quiet dyndbg=\"file a.c +p\"")
        #expect(running.reused(for: .crash).description == "root=/dev/sda1 quiet dyndbg=\"file a.c +p\"")
        #expect(running.value(of: "root") == "/dev/sda1")
        #expect(running.value(of: "quiet") == "")
        #expect(running.value(of: "nosuch") == nil)
    }
}
