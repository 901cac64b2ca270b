@testable import CrashDump
import ElfNotes
import Foundation
import KexecCore

/// Builds a Linux 5.10+ `printk_ringbuffer` in a ``KernelLogDump`` the way the
/// kernel fills it (kernel/printk/printk_ringbuffer.c): descriptor ids start at
/// DESC0_ID just below the id wrap, logical positions at -(ring size), blocks
/// that would cross the ring's end go to its start, and old records are made
/// reusable once their descriptor or data is overwritten.
struct KernelLogLocklessBuilder {
    /// Field offsets and sizes as VMCOREINFO exports them.
    struct Layout {
        var ringbufferSize: UInt64
        var descRing: UInt64
        var textDataRing: UInt64
        var countBits: UInt64
        var descs: UInt64
        var infos: UInt64
        var headID: UInt64
        var tailID: UInt64
        var sizeBits: UInt64
        var data: UInt64
        var headLpos: UInt64
        var tailLpos: UInt64
        var counter: UInt64
        var descSize: UInt64
        var stateVar: UInt64
        var textBlockPosition: UInt64
        var begin: UInt64
        var next: UInt64
        var infoSize: UInt64
        var sequence: UInt64
        var timestamp: UInt64
        var textLength: UInt64
        var callerID: UInt64
        var devInfo: UInt64
        var subsystem: UInt64
        var subsystemLength: UInt64
        var device: UInt64
        var deviceLength: UInt64

        /// The layout of Linux 6.1 with 8-byte or 4-byte longs.
        static func linux61(pointerSize: Int) -> Layout {
            if pointerSize == 8 {
                return Layout(ringbufferSize: 88, descRing: 0, textDataRing: 48, countBits: 0, descs: 8, infos: 16, headID: 24,
                              tailID: 32, sizeBits: 0, data: 8, headLpos: 16, tailLpos: 24, counter: 0, descSize: 24,
                              stateVar: 0, textBlockPosition: 8, begin: 0, next: 8, infoSize: 88, sequence: 0, timestamp: 8,
                              textLength: 16, callerID: 20, devInfo: 24, subsystem: 0, subsystemLength: 16, device: 16,
                              deviceLength: 48)
            }
            return Layout(ringbufferSize: 44, descRing: 0, textDataRing: 24, countBits: 0, descs: 4, infos: 8, headID: 12,
                          tailID: 16, sizeBits: 0, data: 4, headLpos: 8, tailLpos: 12, counter: 0, descSize: 12,
                          stateVar: 0, textBlockPosition: 4, begin: 0, next: 4, infoSize: 88, sequence: 0, timestamp: 8,
                          textLength: 16, callerID: 20, devInfo: 24, subsystem: 0, subsystemLength: 16, device: 16,
                          deviceLength: 48)
        }

        /// A layout no kernel has, every field moved, to show the reader takes
        /// the exported values (8-byte longs).
        static var shuffled: Layout {
            Layout(ringbufferSize: 160, descRing: 16, textDataRing: 104, countBits: 4, descs: 16, infos: 32, headID: 40,
                   tailID: 64, sizeBits: 12, data: 24, headLpos: 32, tailLpos: 40, counter: 8, descSize: 48, stateVar: 8,
                   textBlockPosition: 24, begin: 8, next: 0, infoSize: 128, sequence: 40, timestamp: 16, textLength: 4,
                   callerID: 0, devInfo: 56, subsystem: 48, subsystemLength: 16, device: 0, deviceLength: 40)
        }

        func write(into info: inout VmcoreInfo, pointerSize: Int) {
            info.setSize("printk_ringbuffer", ringbufferSize)
            info.setOffset("printk_ringbuffer", "desc_ring", descRing)
            info.setOffset("printk_ringbuffer", "text_data_ring", textDataRing)
            info.setOffset("prb_desc_ring", "count_bits", countBits)
            info.setOffset("prb_desc_ring", "descs", descs)
            info.setOffset("prb_desc_ring", "infos", infos)
            info.setOffset("prb_desc_ring", "head_id", headID)
            info.setOffset("prb_desc_ring", "tail_id", tailID)
            info.setSize("prb_desc", descSize)
            info.setOffset("prb_desc", "state_var", stateVar)
            info.setOffset("prb_desc", "text_blk_lpos", textBlockPosition)
            info.setSize("prb_data_blk_lpos", UInt64(2 * pointerSize))
            info.setOffset("prb_data_blk_lpos", "begin", begin)
            info.setOffset("prb_data_blk_lpos", "next", next)
            info.setSize("printk_info", infoSize)
            info.setOffset("printk_info", "seq", sequence)
            info.setOffset("printk_info", "ts_nsec", timestamp)
            info.setOffset("printk_info", "text_len", textLength)
            info.setOffset("printk_info", "caller_id", callerID)
            info.setOffset("printk_info", "dev_info", devInfo)
            info.setSize("dev_printk_info", 64)
            info.setOffset("dev_printk_info", "subsystem", subsystem)
            info.setLength("printk_info_subsystem", subsystemLength)
            info.setOffset("dev_printk_info", "device", device)
            info.setLength("printk_info_device", deviceLength)
            info.setOffset("prb_data_ring", "size_bits", sizeBits)
            info.setOffset("prb_data_ring", "data", data)
            info.setOffset("prb_data_ring", "head_lpos", headLpos)
            info.setOffset("prb_data_ring", "tail_lpos", tailLpos)
            info.setSize("atomic_long_t", UInt64(pointerSize))
            info.setOffset("atomic_long_t", "counter", counter)
        }
    }

    /// One message to log.
    struct Message: Hashable {
        var timestamp: UInt64
        var text: [UInt8]
        var caller: UInt32 = 1
        var subsystem = ""
        var device = ""
        /// The descriptor state: 0 reserved, 1 committed, 2 finalized, 3 reusable.
        var state: UInt64 = 2

        init(_ timestamp: UInt64, _ text: String, caller: UInt32 = 1, subsystem: String = "", device: String = "",
             state: UInt64 = 2) {
            self.timestamp = timestamp
            self.text = Array(text.utf8)
            self.caller = caller
            self.subsystem = subsystem
            self.device = device
            self.state = state
        }

        init(_ timestamp: UInt64, bytes: [UInt8]) {
            self.timestamp = timestamp
            text = bytes
        }
    }

    /// Where the ring landed and what a reader should find.
    struct Installed {
        var prb: UInt64
        var descs: UInt64
        var infos: UInt64
        var data: UInt64
        var headID: UInt64
        var tailID: UInt64
        /// The messages from tail to head whose state is committed or finalized.
        var visible: [Message]
        /// (id, sequence) of each visible message.
        var ids: [UInt64]
    }

    var layout: Layout
    var countBits: UInt32 = 4
    var sizeBits: UInt32 = 10
    /// Whether the arrays live in RAM (a `log_buf_len=` buffer from memblock) rather
    /// than in the kernel image (`printk_rb_static`).
    var inRAM = false
    var messages: [Message] = []

    init(pointerSize: Int, countBits: UInt32 = 4, sizeBits: UInt32 = 10, inRAM: Bool = false) {
        layout = .linux61(pointerSize: pointerSize)
        self.countBits = countBits
        self.sizeBits = sizeBits
        self.inRAM = inRAM
    }

    func install(in dump: inout KernelLogDump) -> Installed {
        let pointer = dump.pointerSize
        let idMask: UInt64 = pointer == 8 ? (1 << 62) - 1 : (1 << 30) - 1
        let shift: UInt64 = pointer == 8 ? 62 : 30
        let lposMask: UInt64 = pointer == 8 ? ~0 : 0xffff_ffff
        let count = UInt64(1) << countBits
        let size = UInt64(1) << sizeBits
        func stateVar(_ id: UInt64, _ state: UInt64) -> UInt64 { (id & idMask) | state << shift }
        func wraps(_ lpos: UInt64) -> UInt64 { (lpos & lposMask) >> UInt64(sizeBits) }

        var states = [UInt64](repeating: 0, count: Int(count))
        var begins = [UInt64](repeating: 0, count: Int(count))
        var nexts = [UInt64](repeating: 0, count: Int(count))
        var infoFor = [Message?](repeating: nil, count: Int(count))
        var sequences = [UInt64](repeating: 0, count: Int(count))
        var text = [UInt8](repeating: 0, count: Int(size))
        // DESC0_ID: the id before the first real record, held reusable in the last slot.
        let desc0 = (0 &- (count + 1)) & idMask
        states[Int(count - 1)] = stateVar(desc0, 3)
        var head = desc0
        var headLpos = (0 &- size) & lposMask
        var logged: [(id: UInt64, begin: UInt64, hasData: Bool, message: Message)] = []

        for (sequence, message) in messages.enumerated() {
            let id = (head + 1) & idMask
            let slot = Int(id & (count - 1))
            var begin: UInt64 = 3
            var next: UInt64 = 3
            if !message.text.isEmpty {
                let blockSize = (UInt64(pointer + message.text.count) + UInt64(pointer) - 1) & ~(UInt64(pointer) - 1)
                begin = headLpos
                next = (begin &+ blockSize) & lposMask
                var start = begin % size
                if wraps(begin) != wraps(next) {
                    next = (((next & lposMask) >> UInt64(sizeBits)) << UInt64(sizeBits)) &+ blockSize
                    start = 0
                }
                let idBytes = pointer == 8 ? dump.encode(id) : dump.encode(UInt32(truncatingIfNeeded: id))
                text.replaceSubrange(Int(start)..<Int(start) + pointer, with: idBytes)
                text.replaceSubrange(Int(start) + pointer..<Int(start) + pointer + message.text.count, with: message.text)
                headLpos = next
            }
            states[slot] = stateVar(id, message.state)
            begins[slot] = begin
            nexts[slot] = next
            infoFor[slot] = message
            sequences[slot] = UInt64(sequence)
            head = id
            logged.append((id, begin, !message.text.isEmpty, message))
        }
        // The tail: the oldest record from which on every descriptor and data block is intact.
        var tailIndex = logged.count
        for index in stride(from: logged.count - 1, through: 0, by: -1) {
            let entry = logged[index]
            let descriptorIntact = (head &- entry.id) & idMask < count
            let dataIntact = !entry.hasData || (headLpos &- entry.begin) & lposMask <= size
            guard descriptorIntact && dataIntact else { break }
            tailIndex = index
        }
        for entry in logged[..<tailIndex] where (head &- entry.id) & idMask < count {
            states[Int(entry.id & (count - 1))] = stateVar(entry.id, 3)
        }
        let tail = tailIndex < logged.count ? logged[tailIndex].id : head

        let region = inRAM
        let prb = dump.allocate(Int(layout.ringbufferSize), inKernel: true)
        let descs = dump.allocate(Int(count * layout.descSize), inKernel: !region)
        let infos = dump.allocate(Int(count * layout.infoSize), inKernel: !region)
        let data = dump.allocate(Int(size), inKernel: !region)
        let ring = prb + layout.descRing
        dump.write(UInt32(countBits), at: ring + layout.countBits)
        dump.writeWord(descs, at: ring + layout.descs)
        dump.writeWord(infos, at: ring + layout.infos)
        dump.writeWord(head, at: ring + layout.headID + layout.counter)
        dump.writeWord(tail, at: ring + layout.tailID + layout.counter)
        let textRing = prb + layout.textDataRing
        dump.write(UInt32(sizeBits), at: textRing + layout.sizeBits)
        dump.writeWord(data, at: textRing + layout.data)
        dump.writeWord(headLpos, at: textRing + layout.headLpos)
        for slot in 0..<Int(count) {
            let desc = descs + UInt64(slot) * layout.descSize
            dump.writeWord(states[slot], at: desc + layout.stateVar + layout.counter)
            dump.writeWord(begins[slot], at: desc + layout.textBlockPosition + layout.begin)
            dump.writeWord(nexts[slot], at: desc + layout.textBlockPosition + layout.next)
            guard let message = infoFor[slot] else { continue }
            let info = infos + UInt64(slot) * layout.infoSize
            dump.write(sequences[slot], at: info + layout.sequence)
            dump.write(message.timestamp, at: info + layout.timestamp)
            dump.write(UInt16(message.text.count), at: info + layout.textLength)
            dump.write(message.caller, at: info + layout.callerID)
            dump.write(Array(message.subsystem.utf8.prefix(Int(layout.subsystemLength) - 1)),
                       at: info + layout.devInfo + layout.subsystem)
            dump.write(Array(message.device.utf8.prefix(Int(layout.deviceLength) - 1)), at: info + layout.devInfo + layout.device)
        }
        dump.write(text, at: data)
        _ = dump.variable("prb", word: prb)
        layout.write(into: &dump.vmcoreInfo, pointerSize: pointer)

        let visible = logged[tailIndex...].filter { (1...2).contains($0.message.state) }
        return Installed(prb: prb, descs: descs, infos: infos, data: data, headID: head, tailID: tail,
                         visible: visible.map(\.message), ids: visible.map(\.id))
    }
}

/// An independent rendering of vmcore-dmesg's line format, built on Foundation's
/// `String(format:)`, for checking the library's formatter.
enum KernelLogReferenceFormat {
    static func line(timestamp: UInt64, text: [UInt8]) -> [UInt8] {
        var line = Array(String(format: "[%5llu.%06llu] ", timestamp / 1_000_000_000, timestamp % 1_000_000_000 / 1000).utf8)
        for byte in text {
            let character = Character(Unicode.Scalar(byte))
            if (byte < 0x80 && (character.isLetter || character.isNumber || character.isPunctuation || character.isSymbol))
                || byte == 0x20 || [0x09, 0x0a, 0x0b, 0x0c, 0x0d].contains(byte) {
                line.append(byte)
            } else {
                line.append(contentsOf: Array(String(format: "\\x%02x", byte).utf8))
            }
        }
        line.append(0x0a)
        return line
    }

    static func lines(_ messages: [KernelLogLocklessBuilder.Message]) -> [UInt8] {
        messages.flatMap { line(timestamp: $0.timestamp, text: $0.text) }
    }
}
