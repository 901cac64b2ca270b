import Foundation
import Testing
@testable import CrashDump
import ElfNotes
import KexecCore
import KexecTestSupport

@Suite("Kernel log: 3.5-5.9 records")
struct KernelLogRecordTests {
    static func build(architecture: KexecArchitecture = .x86_64, bufferLength: Int = 4096, alignment: Int = 4,
                      withCaller: Bool = false, structure: String = "printk_log", inRAM: Bool = false,
                      _ messages: [KernelLogRecordBuilder.Message]) -> (KernelLogDump, KernelLogRecordBuilder.Installed) {
        var dump = KernelLogDump(architecture: architecture)
        var builder = KernelLogRecordBuilder()
        builder.bufferLength = bufferLength
        builder.alignment = alignment
        builder.withCaller = withCaller
        builder.structure = structure
        builder.inRAM = inRAM
        builder.messages = messages
        let installed = builder.install(in: &dump)
        return (dump, installed)
    }

    static func numbered(_ count: Int, seed: UInt64 = 1) -> [KernelLogRecordBuilder.Message] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { index in
            KernelLogRecordBuilder.Message(UInt64(index) * 7_654_321_001, "msg \(index) " + String(repeating: "r", count: Int.random(in: 0...60, using: &generator)),
                                     dictionary: index % 5 == 0 ? "SUBSYSTEM=pci|DEVICE=+pci:0000:00:0\(index % 10).0" : "")
        }
    }

    @Test func aFewRecordsWithDictionaries() throws {
        let (dump, installed) = Self.build([
            .init(0, "Linux version 4.19.0-27-amd64"),
            .init(1_500_000_000, "e1000 0000:00:03.0 eth0: (PCI:33MHz:32-bit) 52:54:00:12:34:56",
                  dictionary: "SUBSYSTEM=pci|DEVICE=+pci:0000:00:03.0"),
            .init(2_000_001_000, "tab\tand \u{1}"),
        ])
        let log = try dump.kernelLog()
        #expect(log.format == .variableLengthRecords)
        #expect(log.issues.isEmpty)
        #expect(log.dmesgText == """
            [    0.000000] Linux version 4.19.0-27-amd64
            [    1.500000] e1000 0000:00:03.0 eth0: (PCI:33MHz:32-bit) 52:54:00:12:34:56
            [    2.000001] tab\tand \\x01

            """)
        #expect(log.records[1].deviceInfo == .init(subsystem: "pci", device: "+pci:0000:00:03.0"))
        #expect(log.records.allSatisfy { $0.caller == nil && $0.sequence == nil })
        #expect(installed.first == 0)
    }

    @Test func callerIDOf5Point1AndTheOldStructName() throws {
        let (dump, _) = Self.build(withCaller: true, [.init(1, "with caller", caller: 0x8000_0002), .init(2, "task", caller: 77)])
        let log = try dump.kernelLog()
        #expect(log.records.map(\.caller) == [.cpu(2), .thread(77)])
        let (old, _) = Self.build(structure: "log", [.init(1_000, "3.10 kernel")])
        #expect(try old.kernelLog().dmesgText == "[    0.000001] 3.10 kernel\n")
    }

    @Test(arguments: [(512, 4, 40), (1024, 8, 200), (4096, 4, 1000), (700, 4, 3)])
    func wrapsLikeTheKernel(bufferLength: Int, alignment: Int, count: Int) throws {
        let (dump, installed) = Self.build(bufferLength: bufferLength, alignment: alignment, Self.numbered(count, seed: UInt64(count)))
        let log = try dump.kernelLog()
        #expect(log.messages.map(\.text) == installed.visible.map(\.text))
        #expect(log.dmesgBytes == installed.expectedOutput)
        #expect(log.issues.isEmpty)
        #expect(log.records.filter(\.isWrapMarker).count == (installed.first > installed.next ? 1 : 0))
    }

    @Test(arguments: [KexecArchitecture.i386, .ppc64, .ppc])
    func otherWordSizesAndByteOrders(architecture: KexecArchitecture) throws {
        let (dump, installed) = Self.build(architecture: architecture, bufferLength: 1024, alignment: 8, Self.numbered(80))
        let log = try dump.kernelLog()
        #expect(log.dmesgBytes == installed.expectedOutput)
        #expect(log.messages.count == installed.visible.count)
    }

    @Test func bufferInTheDirectMap() throws {
        let (dump, installed) = Self.build(inRAM: true, Self.numbered(30))
        #expect(installed.logBuffer >= dump.ramVirtual)
        #expect(try dump.kernelLog().dmesgBytes == installed.expectedOutput)
    }

    // MARK: Hostile buffers

    /// A buffer whose records loop: a second zero header where the walk should
    /// have ended, and log_next_idx on no record boundary.
    static func loopingBuffer() -> KernelLogDump {
        var (dump, installed) = build(bufferLength: 512, numbered(40))
        dump.write([UInt8](repeating: 0, count: 16), at: installed.logBuffer + UInt64(installed.next))
        dump.write(installed.next + 4, at: installed.nextIndex)
        return dump
    }

    @Test func aSecondWrapStopsTheWalk() throws {
        let (_, installed) = Self.build(bufferLength: 512, Self.numbered(40))
        #expect(installed.first > installed.next)
        let log = try Self.loopingBuffer().kernelLog()
        #expect(log.issues.contains { if case .walkStopped(_, let reason) = $0 { reason.contains("second") } else { false } })
        #expect(log.records.filter(\.isWrapMarker).count == 2)
        #expect(log.messages.map(\.text) == installed.visible.map(\.text))
        #expect(!log.isComplete)
    }

    @Test func shortAndHugeLengthsStopTheWalk() throws {
        var (dump, installed) = Self.build(Self.numbered(5))
        // The third record's len: 3, shorter than a header.
        let third = installed.logBuffer + UInt64(thirdRecordIndex(installed))
        dump.write(UInt16(3), at: third + 8)
        var log = try dump.kernelLog()
        #expect(log.messages.count == 3)
        #expect(log.issues.contains { if case .walkStopped(_, let reason) = $0 { reason.contains("shorter") } else { false } })

        dump.write(UInt16(60_000), at: third + 8)
        log = try dump.kernelLog()
        #expect(log.messages.count == 3)
        #expect(log.issues.contains { if case .walkStopped(_, let reason) = $0 { reason.contains("past the last header") } else { false } })
    }

    /// The byte index of the third record.
    func thirdRecordIndex(_ installed: KernelLogRecordBuilder.Installed) -> Int {
        let sizes = installed.visible.prefix(2).map { message -> Int in
            let size = 16 + message.text.count + message.dictionary.count
            return size + (4 - size % 4) % 4
        }
        return sizes.reduce(0, +)
    }

    @Test func textLengthPastTheRecordIsCut() throws {
        var (dump, installed) = Self.build([.init(1, "abc"), .init(2, "def")])
        dump.write(UInt16(5000), at: installed.logBuffer + 10)
        let log = try dump.kernelLog()
        #expect(log.issues.contains(.textTruncated(position: 0, declared: 5000, available: 4)))
        #expect(log.messages.map(\.text) == [Array("abc".utf8) + [0], Array("def".utf8)])
    }

    @Test func indicesOutsideTheBufferAndAbsurdLengths() throws {
        var (dump, installed) = Self.build(Self.numbered(5))
        dump.write(UInt32(4095), at: installed.firstIndex)
        var log = try dump.kernelLog()
        #expect(log.records.isEmpty)
        #expect(!log.isComplete)

        (dump, installed) = Self.build(Self.numbered(5))
        for length: UInt32 in [0, 8, 0x8000_0001, 0xffff_ffff] {
            dump.write(length, at: try #require(dump.vmcoreInfo.symbol("log_buf_len")).rawValue)
            #expect(throws: CrashDumpError.self) { try dump.kernelLog() }
        }
        (dump, _) = Self.build(Self.numbered(5))
        dump.vmcoreInfo.setSize("printk_log", 0)
        #expect(throws: CrashDumpError.self) { try dump.kernelLog() }
        dump.vmcoreInfo.setSize("printk_log", 16)
        dump.vmcoreInfo.setOffset("printk_log", "ts_nsec", 12)
        #expect(throws: CrashDumpError.self) { try dump.kernelLog() }
        dump.vmcoreInfo["OFFSET(printk_log.ts_nsec)"] = nil
        #expect(throws: CrashDumpError.missingVmcoreInfo(key: "OFFSET(printk_log.ts_nsec)", purpose: "the 3.5-5.9 printk log")) {
            try dump.kernelLog()
        }
        log = try Self.build(Self.numbered(1)).0.kernelLog()
        #expect(log.isComplete)
    }

    @Test func aBufferOutsideTheDumpIsReportedNotFatal() throws {
        var (dump, installed) = Self.build(inRAM: true, Self.numbered(10))
        dump.holes = [(installed.logBuffer, 4096)]
        let log = try dump.kernelLog()
        #expect(log.records.isEmpty)
        #expect(!log.isComplete)
    }

    @Test func garbageNeverHangs() throws {
        var generator = SeededGenerator(seed: 99)
        for _ in 0..<40 {
            var (dump, installed) = Self.build(bufferLength: 1024, Self.numbered(60))
            for _ in 0..<32 {
                dump.write(UInt8.random(in: 0...255, using: &generator),
                           at: installed.logBuffer + UInt64.random(in: 0..<1024, using: &generator))
            }
            dump.write(UInt32.random(in: 0..<1024, using: &generator), at: installed.nextIndex)
            let log = try dump.kernelLog()
            #expect(log.records.count <= 2 * 1024 / 16 + 2)
        }
    }

    // MARK: Against kexec-tools

    @Test(.enabled(if: KernelLogVmcoreDmesg.isInstalled), arguments: [
        (KexecArchitecture.x86_64, 4096, 700), (.x86_64, 1024, 13), (.i386, 2048, 300), (.ppc64, 1024, 150),
    ])
    func matchesVmcoreDmesgByteForByte(architecture: KexecArchitecture, bufferLength: Int, count: Int) throws {
        var messages = Self.numbered(count, seed: 7)
        messages.insert(.init(5, "multi\nline é \u{7f}"), at: count / 2)
        let (dump, installed) = Self.build(architecture: architecture, bufferLength: bufferLength, alignment: 8,
                                           withCaller: count % 2 == 0, messages)
        let reference = try KernelLogVmcoreDmesg.run(core: try dump.core())
        #expect(reference.status == 0)
        let log = try dump.kernelLog()
        #expect(log.dmesgBytes == reference.output)
        #expect(reference.output == installed.expectedOutput)
    }

    @Test(.enabled(if: KernelLogVmcoreDmesg.isInstalled))
    func aLoopingBufferPrintsWhatVmcoreDmesgPrintsBeforeItGivesUp() throws {
        let dump = Self.loopingBuffer()
        let reference = try KernelLogVmcoreDmesg.run(core: try dump.core())
        #expect(reference.status == 68)
        #expect(try dump.kernelLog().dmesgBytes == reference.output)
    }
}

@Suite("Kernel log: pre-3.5 character ring")
struct KernelLogCharacterRingTests {
    static func build(bufferLength: Int = 1024, architecture: KexecArchitecture = .x86_64,
                      _ text: String) -> (KernelLogDump, KernelLogCharacterRingBuilder.Installed) {
        var dump = KernelLogDump(architecture: architecture)
        let installed = KernelLogCharacterRingBuilder(bufferLength: bufferLength).install(Array(text.utf8), in: &dump)
        return (dump, installed)
    }

    static let crashText = """
        <6>[    0.000000] Linux version 2.6.32-5-amd64
        <4>[   12.345678] SysRq : Trigger a crash
        <1>[   12.345700] BUG: unable to handle kernel NULL pointer dereference at (null)
        <4>[   12.345800] Oops: 0002 [#1] SMP
        <0>[   12.346000] Kernel panic - not syncing: Fatal exception

        """

    @Test func notWrapped() throws {
        let (dump, installed) = Self.build(Self.crashText)
        let log = try dump.kernelLog()
        #expect(log.format == .characterRing)
        #expect(log.dmesgBytes == installed.expected)
        #expect(log.dmesgText == Self.crashText)
        let messages = log.crashMessages
        #expect(messages.sysrq?.text == "SysRq : Trigger a crash")
        #expect(messages.sysrq?.timestamp == 12_345_678_000)
        #expect(messages.oops?.text == "Oops: 0002 [#1] SMP")
        #expect(messages.panicReason == "Fatal exception")
        #expect(log.panicMessage == "Oops: 0002 [#1] SMP")
    }

    @Test(arguments: [100, 128, 1000, 4096])
    func wrapped(bufferLength: Int) throws {
        let text = (0..<200).map { "<6>line \($0)\n" }.joined()
        let (dump, installed) = Self.build(bufferLength: bufferLength, text)
        let log = try dump.kernelLog()
        #expect(log.dmesgBytes == installed.expected)
        #expect(log.dmesgBytes == Array(Array(text.utf8).suffix(bufferLength)))
    }

    @Test(arguments: [KexecArchitecture.i386, .ppc64])
    func otherMachines(architecture: KexecArchitecture) throws {
        let (dump, installed) = Self.build(bufferLength: 300, architecture: architecture, String(repeating: "abcdefg\n", count: 50))
        #expect(try dump.kernelLog().dmesgBytes == installed.expected)
    }

    @Test func absurdLengthsAreRefused() throws {
        var (dump, installed) = Self.build("x")
        for length: UInt32 in [0, 0x8000_0000, 0xffff_fff0] {
            dump.write(length, at: installed.logBufferLength)
            #expect(throws: CrashDumpError.self) { try dump.kernelLog() }
        }
        dump.vmcoreInfo["SYMBOL(log_end)"] = nil
        #expect(throws: CrashDumpError.self) { try dump.kernelLog() }
    }

    @Test(.enabled(if: KernelLogVmcoreDmesg.isInstalled), arguments: [100, 1024, 5000])
    func matchesVmcoreDmesgByteForByte(bufferLength: Int) throws {
        let text = (0..<150).map { "<4>[ \($0).000000] line \($0) \u{1}é\n" }.joined()
        let (dump, _) = Self.build(bufferLength: bufferLength, text)
        let reference = try KernelLogVmcoreDmesg.run(core: try dump.core())
        #expect(reference.status == 0)
        #expect(try dump.kernelLog().dmesgBytes == reference.output)
    }
}
