extension KernelLog {
    /// The log exactly as kexec-tools' `vmcore-dmesg` prints it, byte for byte.
    ///
    /// For records, one line each: `"[%5llu.%06llu] "` (seconds and microseconds
    /// of `ts_nsec`), the text with every byte that is neither printable ASCII nor
    /// white space written as `\xNN`, and a newline. Embedded newlines are kept as
    /// they are, so a multi-line message continues without a prefix. Neither the
    /// caller id nor the device information is printed, and a 3.5-5.9 wrap marker
    /// shows as an empty line stamped 0. For the pre-3.5 character ring: the
    /// characters unchanged.
    public var dmesgBytes: [UInt8] {
        if format == .characterRing { return characters }
        var output: [UInt8] = []
        output.reserveCapacity(records.reduce(0) { $0 + $1.text.count + 16 })
        for record in records { record.appendDmesgLine(to: &output) }
        return output
    }

    /// ``dmesgBytes`` as a string (invalid UTF-8 in a character ring becomes U+FFFD).
    public var dmesgText: String { String(decoding: dmesgBytes, as: UTF8.self) }
}

extension KernelLog.Record {
    /// `"[%5llu.%06llu]"` of ``timestamp`` as `vmcore-dmesg` computes it: `imaxdiv`
    /// on the value taken as signed, the results printed unsigned.
    public var timestampText: String {
        let signed = Int64(bitPattern: timestamp)
        let seconds = UInt64(bitPattern: signed / 1_000_000_000)
        let microseconds = UInt64(bitPattern: (signed % 1_000_000_000) / 1000)
        return "[" + Self.padded(String(seconds), to: 5, with: " ") + "." + Self.padded(String(microseconds), to: 6, with: "0") + "]"
    }

    /// The line `vmcore-dmesg` prints for the record, newline included.
    public var dmesgLine: [UInt8] {
        var line: [UInt8] = []
        appendDmesgLine(to: &line)
        return line
    }

    func appendDmesgLine(to output: inout [UInt8]) {
        output.append(contentsOf: timestampText.utf8)
        output.append(0x20)
        for byte in text {
            if Self.isPrintedAsIs(byte) {
                output.append(byte)
            } else {
                output.append(contentsOf: [0x5c, 0x78, Self.hexDigit(byte >> 4), Self.hexDigit(byte & 0xf)])
            }
        }
        output.append(0x0a)
    }

    /// C's `isprint(c) || isspace(c)` in the "C" locale: 0x20-0x7e, and tab,
    /// newline, vertical tab, form feed and carriage return.
    static func isPrintedAsIs(_ byte: UInt8) -> Bool {
        (0x20...0x7e).contains(byte) || (0x09...0x0d).contains(byte)
    }

    static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? 0x30 + value : 0x61 + value - 10
    }

    static func padded(_ text: String, to width: Int, with pad: Character) -> String {
        text.count >= width ? text : String(repeating: pad, count: width - text.count) + text
    }
}
