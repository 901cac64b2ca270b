/// The lines of a kernel log that say why the kernel crashed.
public struct KernelCrashMessages: Hashable, Sendable {
    /// One line of the log.
    public struct Line: Hashable, Sendable {
        /// The record's `ts_nsec` (for the pre-3.5 character ring: the line's
        /// `[seconds.micros]` prefix, when it has one).
        public var timestamp: UInt64?
        /// The line without level or timestamp prefix.
        public var text: String

        /// A line.
        public init(timestamp: UInt64?, text: String) {
            self.timestamp = timestamp
            self.text = text
        }
    }

    /// The first "Kernel panic - not syncing: ..." line (`panic()`).
    public var panic: Line?
    /// The last "sysrq: Trigger a crash" line ("SysRq : Trigger a crash" before
    /// 5.2): the crash was asked for with SysRq-c or /proc/sysrq-trigger.
    public var sysrq: Line?
    /// The last Oops or BUG line: "BUG: ...", "kernel BUG at ...", "Oops...",
    /// "Unable to handle kernel ...", or a `die()` line such as
    /// "general protection fault, ...: 0000 [#1] PREEMPT SMP".
    public var oops: Line?

    /// No lines.
    public init(panic: Line? = nil, sysrq: Line? = nil, oops: Line? = nil) {
        self.panic = panic
        self.sysrq = sysrq
        self.oops = oops
    }

    /// What `panic()` was told: the text after "Kernel panic - not syncing: ".
    public var panicReason: String? {
        guard let panic, panic.text.hasPrefix(Self.panicPrefix) else { return nil }
        return String(panic.text.dropFirst(Self.panicPrefix.count))
    }

    /// The one line that best says why the kernel died: the Oops/BUG line when
    /// the panic only says "Fatal exception" (it came from that oops), else the
    /// panic line, else the Oops/BUG line, else the SysRq line; `nil` when the
    /// log shows none of them.
    public var summary: String? {
        if let oops, let reason = panicReason, reason.hasPrefix("Fatal exception") { return oops.text }
        return (panic ?? oops ?? sysrq)?.text
    }

    static let panicPrefix = "Kernel panic - not syncing: "

    /// Finds the crash lines among `lines` (oldest first).
    public init(lines: [Line]) {
        self.init()
        for line in lines {
            let text = line.text
            if text.hasPrefix(Self.panicPrefix) {
                if panic == nil { panic = line }
            } else if text.hasPrefix("sysrq: Trigger a crash") || text.hasPrefix("SysRq : Trigger a crash") {
                sysrq = line
            } else if Self.isOops(text) {
                oops = line
            }
        }
    }

    /// Whether `text` opens an Oops or BUG report.
    static func isOops(_ text: String) -> Bool {
        let prefixes = ["BUG: ", "kernel BUG at ", "Kernel BUG at ", "Oops", "Unable to handle kernel "]
        if prefixes.contains(where: text.hasPrefix) { return true }
        return isDieLine(text)
    }

    /// x86's `die()` header: "<what>: <4 hex digits> [#<count>]...".
    static func isDieLine(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var index = 0
        while index + 10 <= bytes.count {
            // ": " + 4 hex digits + " [#"
            if bytes[index] == 0x3a, bytes[index + 1] == 0x20,
               bytes[index + 2..<index + 6].allSatisfy(isHexDigit),
               bytes[index + 6] == 0x20, bytes[index + 7] == 0x5b, bytes[index + 8] == 0x23,
               (0x30...0x39).contains(bytes[index + 9]) {
                return true
            }
            index += 1
        }
        return false
    }

    static func isHexDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte) || (0x41...0x46).contains(byte)
    }
}

extension KernelLog {
    /// Every line of the log with its timestamp, oldest first: each record's text
    /// split at embedded newlines (wrap markers left out), or the character
    /// ring split into lines with their `<level>` and `[time]` prefixes removed.
    public var lines: [KernelCrashMessages.Line] {
        if format == .characterRing {
            return characters.split(separator: 0x0a).map { Self.characterRingLine(Array($0)) }
        }
        var lines: [KernelCrashMessages.Line] = []
        for record in records where !record.isWrapMarker {
            for piece in record.text.split(separator: 0x0a, omittingEmptySubsequences: false) {
                lines.append(.init(timestamp: record.timestamp, text: String(decoding: piece, as: UTF8.self)))
            }
        }
        return lines
    }

    /// The lines that say why the kernel crashed.
    public var crashMessages: KernelCrashMessages { KernelCrashMessages(lines: lines) }

    /// The line that best says why the kernel crashed (``KernelCrashMessages/summary``),
    /// or `nil` when the log shows no panic, Oops, BUG or SysRq crash.
    public var panicMessage: String? { crashMessages.summary }

    /// A pre-3.5 line: "<4>[   12.345678] text" (the timestamp only with `CONFIG_PRINTK_TIME`).
    static func characterRingLine(_ bytes: [UInt8]) -> KernelCrashMessages.Line {
        var rest = bytes[...]
        if rest.first == 0x3c, let close = rest.firstIndex(of: 0x3e), close - rest.startIndex <= 4,
           rest[rest.startIndex + 1..<close].allSatisfy({ (0x30...0x39).contains($0) }), close > rest.startIndex + 1 {
            rest = rest[(close + 1)...]
        }
        var timestamp: UInt64?
        if rest.first == 0x5b, let close = rest.firstIndex(of: 0x5d) {
            let inside = String(decoding: rest[rest.startIndex + 1..<close], as: UTF8.self).drop { $0 == " " }
            let parts = inside.split(separator: ".", omittingEmptySubsequences: false)
            if parts.count == 2, let seconds = UInt64(parts[0]), let micros = UInt64(parts[1]), parts[1].count == 6 {
                let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
                // micros has six digits, so micros * 1000 < 10^9.
                let (sum, carry) = scaled.addingReportingOverflow(micros * 1000)
                if !overflow && !carry {
                    timestamp = sum
                    rest = rest[(close + 1)...]
                    if rest.first == 0x20 { rest = rest.dropFirst() }
                }
            }
        }
        return .init(timestamp: timestamp, text: String(decoding: rest, as: UTF8.self))
    }
}
