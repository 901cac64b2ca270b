import Foundation
import Testing
@testable import CrashDump
import ElfNotes
import KexecCore
import KexecTestSupport

@Suite("Kernel log: 5.10+ lockless ring buffer")
struct KernelLogLocklessTests {
    static func build(architecture: KexecArchitecture = .x86_64, countBits: UInt32 = 4, sizeBits: UInt32 = 10,
                      inRAM: Bool = false, layout: KernelLogLocklessBuilder.Layout? = nil,
                      _ messages: [KernelLogLocklessBuilder.Message]) -> (KernelLogDump, KernelLogLocklessBuilder.Installed) {
        var dump = KernelLogDump(architecture: architecture)
        var builder = KernelLogLocklessBuilder(pointerSize: dump.pointerSize, countBits: countBits, sizeBits: sizeBits, inRAM: inRAM)
        if let layout { builder.layout = layout }
        builder.messages = messages
        let installed = builder.install(in: &dump)
        return (dump, installed)
    }

    @Test func threeMessagesPrintLikeVmcoreDmesg() throws {
        let (dump, installed) = Self.build([
            .init(0, "Linux version 6.1.0-56-amd64", caller: 0),
            .init(1_234_567_891, "pci 0000:00:01.0: [8086:7000] type 00 class 0x060100", caller: 1, subsystem: "pci",
                  device: "+pci:0000:00:01.0"),
            .init(98_765_432_100_999, "sysrq: Trigger a crash", caller: 0x8000_0001),
        ])
        let log = try dump.kernelLog()
        #expect(log.format == .locklessRingBuffer)
        #expect(log.issues.isEmpty)
        #expect(log.isComplete)
        #expect(log.dmesgText == """
            [    0.000000] Linux version 6.1.0-56-amd64
            [    1.234567] pci 0000:00:01.0: [8086:7000] type 00 class 0x060100
            [98765.432100] sysrq: Trigger a crash

            """)
        #expect(log.records.map(\.sequence) == [0, 1, 2])
        #expect(log.records.map(\.caller) == [.thread(0), .thread(1), .cpu(1)])
        #expect(log.records.map { $0.caller?.description } == ["T0", "T1", "C1"])
        #expect(log.records[1].deviceInfo == KernelLog.DeviceInfo(subsystem: "pci", device: "+pci:0000:00:01.0"))
        #expect(log.records[0].deviceInfo == nil)
        #expect(installed.visible.count == 3)
    }

    @Test func emptyRingPrintsNothing() throws {
        let (dump, installed) = Self.build([])
        #expect(installed.headID == installed.tailID)
        let log = try dump.kernelLog()
        #expect(log.records.isEmpty)
        #expect(log.dmesgBytes.isEmpty)
        #expect(log.isComplete)
    }

    @Test func escapesLikeVmcoreDmesgAndKeepsContinuationLines() throws {
        let text: [UInt8] = Array("tab\there\nsecond line ".utf8) + [0x01, 0x7f, 0xc3, 0xa9, 0x1b] + Array("[0m\r\u{0B}\u{0C}~".utf8)
        let (dump, _) = Self.build([.init(5_000, bytes: text)])
        let log = try dump.kernelLog()
        let expected = Array("[    0.000005] tab\there\nsecond line \\x01\\x7f\\xc3\\xa9\\x1b[0m\r\u{0B}\u{0C}~\n".utf8)
        #expect(log.dmesgBytes == expected)
        #expect(log.dmesgBytes == KernelLogReferenceFormat.line(timestamp: 5_000, text: text))
        #expect(log.lines.map(\.text) == ["tab\there", "second line \u{01}\u{7f}é\u{1b}[0m\r\u{0B}\u{0C}~"])
    }

    @Test func dataLessRecordsPrintAnEmptyLine() throws {
        let (dump, _) = Self.build([.init(1_000_000, "before"), .init(2_000_000, ""), .init(3_000_000, "after")])
        let log = try dump.kernelLog()
        #expect(log.dmesgText == "[    0.001000] before\n[    0.002000] \n[    0.003000] after\n")
    }

    @Test func onlyCommittedAndFinalizedRecordsAreShown() throws {
        let (dump, installed) = Self.build([
            .init(1_000, "finalized"), .init(2_000, "committed", state: 1), .init(3_000, "reusable", state: 3),
            .init(4_000, "reserved head", state: 0),
        ])
        let log = try dump.kernelLog()
        #expect(log.messages.map(\.string) == ["finalized", "committed"])
        #expect(installed.visible.map(\.text) == log.messages.map(\.text))
    }

    @Test(arguments: [(UInt32(3), UInt32(8), 100), (4, 9, 37), (5, 10, 500), (2, 12, 9)])
    func wrapsAroundIDsAndData(countBits: UInt32, sizeBits: UInt32, count: Int) throws {
        var generator = SeededGenerator(seed: UInt64(count))
        let messages = (0..<count).map { index in
            KernelLogLocklessBuilder.Message(UInt64(index) * 1_000_017 + 3,
                                        "message \(index) " + String(repeating: "x", count: Int.random(in: 0...40, using: &generator)))
        }
        let (dump, installed) = Self.build(countBits: countBits, sizeBits: sizeBits, messages)
        let log = try dump.kernelLog()
        #expect(!installed.visible.isEmpty)
        #expect(log.messages.map(\.text) == installed.visible.map(\.text))
        #expect(log.dmesgBytes == KernelLogReferenceFormat.lines(installed.visible))
        #expect(log.issues.isEmpty)
        // The ids crossed the 62-bit wrap: the first real id is 2^62 - count.
        if count > 1 << countBits { #expect(installed.ids.allSatisfy { $0 < 1 << 20 }) }
    }

    @Test func ringInTheDirectMap() throws {
        let (dump, installed) = Self.build(inRAM: true, [.init(7, "dynamic buffer"), .init(8, "second")])
        #expect(installed.descs >= dump.ramVirtual)
        let log = try dump.kernelLog()
        #expect(log.messages.map(\.string) == ["dynamic buffer", "second"])
    }

    @Test func followsTheExportedLayoutNotTheUsualOne() throws {
        let (dump, _) = Self.build(layout: .shuffled, [
            .init(1_500_000_000, "moved fields", caller: 42, subsystem: "usb", device: "c189:1"), .init(2_000_000_000, "too"),
        ])
        let log = try dump.kernelLog()
        #expect(log.dmesgText == "[    1.500000] moved fields\n[    2.000000] too\n")
        #expect(log.records.first?.caller == .thread(42))
        #expect(log.records.first?.deviceInfo == .init(subsystem: "usb", device: "c189:1"))
        #expect(log.records.map(\.sequence) == [0, 1])
    }

    @Test(arguments: [KexecArchitecture.i386, .ppc64, .ppc, .ppc64le])
    func otherWordSizesAndByteOrders(architecture: KexecArchitecture) throws {
        let messages = (0..<40).map { KernelLogLocklessBuilder.Message(UInt64($0) * 999_999_999, "line \($0) on \(architecture)") }
        let (dump, installed) = Self.build(architecture: architecture, countBits: 3, sizeBits: 9, messages)
        let log = try dump.kernelLog()
        #expect(log.messages.map(\.text) == installed.visible.map(\.text))
        #expect(log.dmesgBytes == KernelLogReferenceFormat.lines(installed.visible))
        #expect(log.issues.isEmpty)
    }

    @Test func hugeTimestampsFormatAsVmcoreDmesgDoes() {
        // imaxdiv works on intmax_t: from 2^63 on the quotients are negative, printed unsigned.
        #expect(KernelLog.Record(timestamp: 1 << 63, text: []).timestampText == "[18446744064486179580.18446744073708696841]")
        #expect(KernelLog.Record(timestamp: UInt64.max, text: []).timestampText == "[    0.000000]")
        #expect(KernelLog.Record(timestamp: 123_456_789_012_345_678, text: []).timestampText == "[123456789.012345]")
        #expect(KernelLog.Record(timestamp: 999_999_999, text: []).timestampText == "[    0.999999]")
    }

    // MARK: Hostile rings

    @Test func absurdCountBitsIsRefused() throws {
        var (dump, installed) = Self.build([.init(1, "x")])
        dump.write(UInt32(31), at: installed.prb + 0)
        #expect(throws: CrashDumpError.self) { try dump.kernelLog() }
        do {
            _ = try dump.kernelLog()
        } catch let error as CrashDumpError {
            guard case .corruptKernelData(let structure, _, let reason) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(structure.contains("desc_ring"))
            #expect(reason.contains("count_bits 31"))
        }
    }

    @Test func absurdSizeBitsIsRefused() throws {
        var (dump, installed) = Self.build([.init(1, "x")])
        dump.write(UInt32(40), at: installed.prb + 48)
        #expect {
            try dump.kernelLog()
        } throws: { error in
            guard case .corruptKernelData(_, _, let reason) = error as? CrashDumpError else { return false }
            return reason.contains("size_bits 40")
        }
    }

    @Test func missingAndAbsurdVmcoreInfoIsRefused() throws {
        var (dump, _) = Self.build([.init(1, "x")])
        dump.vmcoreInfo["OFFSET(prb_desc.text_blk_lpos)"] = nil
        #expect(throws: CrashDumpError.missingVmcoreInfo(key: "OFFSET(prb_desc.text_blk_lpos)",
                                                         purpose: "the 5.10+ printk ring buffer")) { try dump.kernelLog() }
        dump.vmcoreInfo.setOffset("prb_desc", "text_blk_lpos", 20)
        #expect(throws: CrashDumpError.self) { try dump.kernelLog() }
        dump.vmcoreInfo.setOffset("prb_desc", "text_blk_lpos", UInt64.max)
        #expect(throws: CrashDumpError.self) { try dump.kernelLog() }
        dump.vmcoreInfo.setOffset("prb_desc", "text_blk_lpos", 8)
        dump.vmcoreInfo.setSize("printk_info", 1 << 40)
        #expect(throws: CrashDumpError.self) { try dump.kernelLog() }
    }

    @Test func aMalformedSymbolIsNamed() throws {
        var (dump, _) = Self.build([.init(1, "x")])
        dump.vmcoreInfo["SYMBOL(prb)"] = "not-hex"
        #expect(throws: CrashDumpError.invalidVmcoreInfo(key: "SYMBOL(prb)", value: "not-hex", reason: "not a hex address")) {
            try dump.kernelLog()
        }
    }

    @Test func prbPointingNowhereIsATypedError() throws {
        var (dump, _) = Self.build([.init(1, "x")])
        dump.vmcoreInfo.setSymbol("prb", VirtualAddress(0xffff_ffff_a000_0000))
        #expect(throws: CrashDumpError.self) { try dump.kernelLog() }
    }

    @Test func tailFarFromHeadIsBoundedByTheRing() throws {
        let messages = (0..<12).map { KernelLogLocklessBuilder.Message(UInt64($0), "m\($0)") }
        var (dump, installed) = Self.build(countBits: 3, sizeBits: 10, messages)
        // tail just after head: vmcore-dmesg would walk 2^62 ids.
        dump.writeWord((installed.headID + 1) & ((1 << 62) - 1), at: installed.prb + 32)
        let log = try dump.kernelLog()
        #expect(log.issues.contains { if case .idSpanExceedsRing = $0 { true } else { false } })
        // In id order from the (bogus) tail: every intact record still shows once.
        #expect(log.messages.map(\.text) == installed.visible.map(\.text))
    }

    @Test func descriptorsWithForeignIDsAreSkipped() throws {
        var (dump, installed) = Self.build([.init(1, "a"), .init(2, "b"), .init(3, "c")])
        // Give the middle record's descriptor another id: state finalized, id + 16.
        let middle = installed.ids[1]
        let slot = middle & 15
        dump.writeWord(((middle + 16) & ((1 << 62) - 1)) | 2 << 62, at: installed.descs + slot * 24)
        let log = try dump.kernelLog()
        #expect(log.messages.map(\.string) == ["a", "c"])
    }

    @Test func textLengthPastTheBlockIsCutWithAnIssue() throws {
        var (dump, installed) = Self.build([.init(1, "short"), .init(2, "next")])
        let slot = installed.ids[0] & 15
        dump.write(UInt16(60_000), at: installed.infos + slot * 88 + 16)
        let log = try dump.kernelLog()
        // The block holds "short" padded to the word size: vmcore-dmesg prints up to its end.
        #expect(log.messages.first?.text.starts(with: Array("short".utf8)) == true)
        #expect(log.messages.first.map { $0.text.count <= 8 } == true)
        #expect(log.issues.contains { if case .textTruncated(_, 60_000, _) = $0 { true } else { false } })
        #expect(log.messages.last?.string == "next")
        #expect(log.isComplete)
    }

    @Test func blockPositionsPastTheRingAreClamped() throws {
        var (dump, installed) = Self.build(sizeBits: 8, [.init(1, "abc")])
        let slot = installed.ids[0] & 15
        // begin and next just below the ring's end: skipping the block id leaves
        // the ring, and next - begin underflows (vmcore-dmesg would read past its buffer).
        dump.writeWord(250, at: installed.descs + slot * 24 + 8)
        dump.writeWord(252, at: installed.descs + slot * 24 + 16)
        let log = try dump.kernelLog()
        #expect(log.records.count == 1)
        #expect(log.issues.contains { if case .textTruncated = $0 { true } else { false } })
    }

    @Test func descriptorsOutsideTheDumpAreSkippedNotFatal() throws {
        var (dump, installed) = Self.build(inRAM: true, [.init(1, "a"), .init(2, "b")])
        dump.holes = [(installed.descs, 16 * 24)]
        let log = try dump.kernelLog()
        #expect(log.records.isEmpty)
        #expect(log.skippedRecords == 2)
        #expect(!log.isComplete)
        #expect(log.issues.allSatisfy { if case .recordUnreadable(_, .notInDump) = $0 { true } else { false } })
    }

    @Test(.timeLimit(.minutes(1)), arguments: [UInt64(500_000), 1 << 40])
    func aHugeRingOutsideTheDumpStopsEarly(span: UInt64) throws {
        var (dump, installed) = Self.build([.init(1, "a")])
        dump.write(UInt32(20), at: installed.prb)
        dump.writeWord(0xffff_c900_0000_0000, at: installed.prb + 8)
        dump.writeWord(span, at: installed.prb + 24)
        dump.writeWord(0, at: installed.prb + 32)
        let log = try dump.kernelLog()
        #expect(log.records.isEmpty)
        #expect(log.skippedRecords == LocklessRingBuffer.maximumUnreadableRecords)
        #expect(log.issues.last.map { if case .walkStopped = $0 { true } else { false } } == true)
    }

    @Test func textPagesOutsideTheDumpCostOnlyTheirRecords() throws {
        let messages = (0..<30).map { KernelLogLocklessBuilder.Message(UInt64($0), "record \($0) " + String(repeating: "y", count: 200)) }
        var (dump, installed) = Self.build(countBits: 5, sizeBits: 13, inRAM: true, messages)
        // Drop the text ring's second page.
        dump.holes = [(installed.data + 4096, 4096)]
        let log = try dump.kernelLog()
        #expect(log.skippedRecords > 0)
        #expect(log.messages.count + log.skippedRecords == installed.visible.count)
        #expect(Set(log.messages.map(\.text)).isSubset(of: Set(installed.visible.map(\.text))))
    }

    @Test func garbageEverywhereNeverHangs() throws {
        var generator = SeededGenerator(seed: 0x5eed)
        for _ in 0..<40 {
            var (dump, installed) = Self.build(countBits: 4, sizeBits: 9, (0..<20).map { .init(UInt64($0), "g\($0)") })
            for _ in 0..<64 {
                let offset = UInt64.random(in: 0..<(16 * 24), using: &generator)
                dump.write(UInt8.random(in: 0...255, using: &generator), at: installed.descs + offset)
                let infoOffset = UInt64.random(in: 0..<(16 * 88), using: &generator)
                dump.write(UInt8.random(in: 0...255, using: &generator), at: installed.infos + infoOffset)
            }
            dump.writeWord(UInt64.random(in: 0...UInt64.max, using: &generator), at: installed.prb + 24)
            dump.writeWord(UInt64.random(in: 0...UInt64.max, using: &generator), at: installed.prb + 32)
            let log = try dump.kernelLog()
            #expect(log.records.count <= 16)
        }
    }

    // MARK: Against kexec-tools

    @Test(.enabled(if: KernelLogVmcoreDmesg.isInstalled), arguments: [
        KexecArchitecture.x86_64, .i386, .ppc64,
    ])
    func matchesVmcoreDmesgByteForByte(architecture: KexecArchitecture) throws {
        var messages = (0..<300).map { index in
            KernelLogLocklessBuilder.Message(UInt64(index) * 12_345_678_901 + 17, "message \(index): " + String(repeating: "z", count: index % 50))
        }
        messages.append(.init(99, bytes: Array("multi\nline\twith \u{1}control é bytes".utf8)))
        messages.append(.init(100, ""))
        messages.append(.init(101, "reserved", state: 0))
        let (dump, installed) = Self.build(architecture: architecture, countBits: 5, sizeBits: 11, messages)
        let log = try dump.kernelLog()
        let reference = try KernelLogVmcoreDmesg.run(core: try dump.core())
        #expect(reference.status == 0)
        #expect(!reference.output.isEmpty)
        #expect(log.dmesgBytes == reference.output)
        #expect(log.messages.count == installed.visible.count)
    }
}

