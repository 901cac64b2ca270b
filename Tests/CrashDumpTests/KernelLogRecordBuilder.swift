@testable import CrashDump
import ElfNotes
import KexecCore

/// Builds a Linux 3.5-5.9 record log buffer in a ``KernelLogDump`` with the
/// kernel's own `log_store` logic (kernel/printk/printk.c of 4.19): records
/// padded to `LOG_ALIGN`, old records dropped until the new one fits with room
/// for a wrap header, a zeroed header with `len` 0 where the buffer wraps.
struct KernelLogRecordBuilder {
    struct Message: Hashable {
        var timestamp: UInt64
        var text: [UInt8]
        var dictionary: [UInt8] = []
        var caller: UInt32 = 1

        init(_ timestamp: UInt64, _ text: String, dictionary: String = "", caller: UInt32 = 1) {
            self.timestamp = timestamp
            self.text = Array(text.utf8)
            self.dictionary = Array(dictionary.utf8).map { $0 == 0x7c ? 0 : $0 }  // "|" separates entries
            self.caller = caller
        }
    }

    struct Installed {
        var logBuffer: UInt64
        var firstIndex: UInt64
        var nextIndex: UInt64
        var first: UInt32
        var next: UInt32
        /// The messages still in the buffer, oldest first.
        var visible: [Message]
        /// What vmcore-dmesg prints: the visible lines, with the wrap marker's
        /// empty line before the first record stored at index 0 when the walk crosses it.
        var expectedOutput: [UInt8]
    }

    var bufferLength = 4096
    /// `LOG_ALIGN`: 4 on x86 (efficient unaligned access), 8 elsewhere with 64-bit.
    var alignment = 4
    /// 24 with `CONFIG_PRINTK_CALLER` (5.1+), 16 before.
    var withCaller = false
    /// "printk_log" from 3.11 on, "log" before.
    var structure = "printk_log"
    var inRAM = false
    var messages: [Message] = []

    var headerSize: Int { withCaller ? 24 : 16 }

    func install(in dump: inout KernelLogDump) -> Installed {
        var buffer = [UInt8](repeating: 0, count: bufferLength)
        var first = 0
        var next = 0
        var firstSeq = 0
        var nextSeq = 0
        var lastWrapSeq = -1
        func u16(_ at: Int) -> Int {
            dump.byteOrder == .little ? Int(buffer[at]) | Int(buffer[at + 1]) << 8 : Int(buffer[at]) << 8 | Int(buffer[at + 1])
        }
        func put(_ bytes: [UInt8], _ at: Int) { buffer.replaceSubrange(at..<at + bytes.count, with: bytes) }
        func logNext(_ index: Int) -> Int {
            let length = u16(index + 8)
            return length == 0 ? u16(8) : index + length
        }
        func hasSpace(_ size: Int, empty: Bool) -> Bool {
            let free = next > first || empty ? max(bufferLength - next, first) : first - next
            return free >= size + headerSize
        }
        var stored: [Message] = []
        for message in messages {
            var size = headerSize + message.text.count + message.dictionary.count
            let pad = (alignment - size % alignment) % alignment
            size += pad
            while firstSeq < nextSeq && !hasSpace(size, empty: false) {
                first = logNext(first)
                firstSeq += 1
            }
            guard hasSpace(size, empty: firstSeq == nextSeq) else { continue }
            if next + size + headerSize > bufferLength {
                put([UInt8](repeating: 0, count: headerSize), next)
                next = 0
                lastWrapSeq = nextSeq
            }
            put(dump.encode(message.timestamp), next)
            put(dump.encode(UInt16(size)), next + 8)
            put(dump.encode(UInt16(message.text.count)), next + 10)
            put(dump.encode(UInt16(message.dictionary.count)), next + 12)
            put([0, 6], next + 14)
            if withCaller { put(dump.encode(message.caller), next + 16) }
            put(message.text, next + headerSize)
            put(message.dictionary, next + headerSize + message.text.count)
            put([UInt8](repeating: 0, count: pad), next + headerSize + message.text.count + message.dictionary.count)
            next += size
            nextSeq += 1
            stored.append(message)
        }

        let logBuffer = dump.allocate(bufferLength, inKernel: !inRAM, alignment: 8)
        dump.write(buffer, at: logBuffer)
        _ = dump.variable("log_buf", word: logBuffer)
        _ = dump.variable("log_buf_len", u32: UInt32(bufferLength))
        let firstIndex = dump.variable("log_first_idx", u32: UInt32(first))
        _ = dump.variable("clear_idx", u32: UInt32(first))
        let nextIndex = dump.variable("log_next_idx", u32: UInt32(next))
        dump.vmcoreInfo.setSize(structure, UInt64(headerSize))
        dump.vmcoreInfo.setOffset(structure, "ts_nsec", 0)
        dump.vmcoreInfo.setOffset(structure, "len", 8)
        dump.vmcoreInfo.setOffset(structure, "text_len", 10)
        dump.vmcoreInfo.setOffset(structure, "dict_len", 12)
        if withCaller { dump.vmcoreInfo.setOffset(structure, "caller_id", 16) }

        let visible = Array(stored[firstSeq..<nextSeq])
        var expected: [UInt8] = []
        for (offset, message) in visible.enumerated() {
            if first > next && firstSeq + offset == lastWrapSeq { expected += Array("[    0.000000] \n".utf8) }
            expected += KernelLogReferenceFormat.line(timestamp: message.timestamp, text: message.text)
        }
        return Installed(logBuffer: logBuffer, firstIndex: firstIndex, nextIndex: nextIndex, first: UInt32(first),
                         next: UInt32(next), visible: visible, expectedOutput: expected)
    }
}

/// Builds a pre-3.5 character ring: every character at `log_end % log_buf_len`.
struct KernelLogCharacterRingBuilder {
    var bufferLength = 1024
    var inRAM = false

    struct Installed {
        var logBuffer: UInt64
        var logEnd: UInt64
        var logBufferLength: UInt64
        /// The last `log_buf_len` characters written.
        var expected: [UInt8]
    }

    func install(_ text: [UInt8], in dump: inout KernelLogDump) -> Installed {
        var buffer = [UInt8](repeating: 0, count: bufferLength)
        for (index, byte) in text.enumerated() { buffer[index % bufferLength] = byte }
        let logBuffer = dump.allocate(bufferLength, inKernel: !inRAM, alignment: 8)
        dump.write(buffer, at: logBuffer)
        _ = dump.variable("log_buf", word: logBuffer)
        let end = dump.variable("log_end", u32: UInt32(text.count))
        let length = dump.variable("log_buf_len", u32: UInt32(bufferLength))
        _ = dump.variable("logged_chars", u32: UInt32(min(text.count, bufferLength)))
        return Installed(logBuffer: logBuffer, logEnd: end, logBufferLength: length, expected: Array(text.suffix(bufferLength)))
    }
}
