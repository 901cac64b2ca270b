import Testing
@testable import CrashDump

@Suite("Kernel log: crash messages")
struct KernelLogCrashMessagesTests {
    static func log(_ lines: [(UInt64, String)]) -> KernelLog {
        KernelLog(format: .locklessRingBuffer, records: lines.map { KernelLog.Record(timestamp: $0.0, text: Array($0.1.utf8)) })
    }

    @Test func sysrqCrashOf6Point1() {
        let log = Self.log([
            (100, "Linux version 6.1.0-56-amd64"),
            (5_000, "sysrq: Trigger a crash"),
            (5_001, "Kernel panic - not syncing: sysrq triggered crash"),
            (5_002, "CPU: 0 PID: 1 Comm: sh Not tainted 6.1.0-56-amd64 #1  Debian 6.1.153-1"),
        ])
        let messages = log.crashMessages
        #expect(messages.sysrq == .init(timestamp: 5_000, text: "sysrq: Trigger a crash"))
        #expect(messages.panic == .init(timestamp: 5_001, text: "Kernel panic - not syncing: sysrq triggered crash"))
        #expect(messages.panicReason == "sysrq triggered crash")
        #expect(messages.oops == nil)
        #expect(log.panicMessage == "Kernel panic - not syncing: sysrq triggered crash")
    }

    @Test func oopsThenFatalExceptionNamesTheOops() {
        let log = Self.log([
            (1, "BUG: kernel NULL pointer dereference, address: 0000000000000000"),
            (2, "#PF: supervisor write access in kernel mode"),
            (3, "Oops: 0002 [#1] PREEMPT SMP NOPTI"),
            (4, "general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#2] PREEMPT SMP NOPTI"),
            (5, "Kernel panic - not syncing: Fatal exception"),
            (6, "Kernel panic - not syncing: a second one is ignored"),
        ])
        let messages = log.crashMessages
        #expect(messages.oops?.text.hasPrefix("general protection fault") == true)
        #expect(messages.panicReason == "Fatal exception")
        #expect(log.panicMessage == messages.oops?.text)
    }

    @Test func bugOnlyAndNothing() {
        #expect(Self.log([(1, "kernel BUG at mm/slub.c:123!"), (2, "invalid opcode: 0000 [#1] SMP")]).panicMessage
                == "invalid opcode: 0000 [#1] SMP")
        #expect(Self.log([(1, "all is well"), (2, "BUG:no space is no bug line")]).panicMessage == nil)
        #expect(KernelLog(format: .characterRing).panicMessage == nil)
    }

    @Test func linesSplitAtEmbeddedNewlinesAndSkipWrapMarkers() {
        var log = Self.log([(1, "first\nKernel panic - not syncing: inside a multi-line record")])
        log.records.insert(KernelLog.Record(timestamp: 0, text: [], isWrapMarker: true), at: 0)
        #expect(log.lines.map(\.text) == ["first", "Kernel panic - not syncing: inside a multi-line record"])
        #expect(log.crashMessages.panic?.timestamp == 1)
        #expect(log.messages.count == 1)
    }

    @Test func characterRingPrefixes() {
        let line = KernelLog.characterRingLine(Array("<0>[ 1234.000001] Kernel panic - not syncing: x".utf8))
        #expect(line == .init(timestamp: 1_234_000_001_000, text: "Kernel panic - not syncing: x"))
        #expect(KernelLog.characterRingLine(Array("<4>plain".utf8)) == .init(timestamp: nil, text: "plain"))
        #expect(KernelLog.characterRingLine(Array("[bad] text".utf8)) == .init(timestamp: nil, text: "[bad] text"))
        #expect(KernelLog.characterRingLine(Array("<99999>x".utf8)).text == "<99999>x")
        #expect(KernelLog.characterRingLine(Array("[99999999999999999999.000000] x".utf8)).timestamp == nil)
    }
}
