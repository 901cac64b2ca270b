import ElfNotes

/// The Linux 5.10+ lockless printk ring buffer (kernel/printk/printk_ringbuffer.h),
/// described entirely by VMCOREINFO's `SYMBOL(prb)`, `SIZE()` and `OFFSET()` lines.
///
/// `prb` is a pointer to a `struct printk_ringbuffer`: a descriptor ring
/// (`count_bits`, `descs`, `infos`, `head_id`, `tail_id`) and a text data ring
/// (`size_bits`, `data`). The walk follows kexec-tools' `vmcore-dmesg`: every id
/// from `tail_id` to `head_id` inclusive, descriptor and info at `id % count`,
/// kept when the descriptor's state is committed or finalized for that very id.
struct LocklessRingBuffer {
    /// Field offsets and sizes from VMCOREINFO.
    struct Layout {
        var descRing: UInt64
        var textDataRing: UInt64
        var countBits: UInt64
        var descs: UInt64
        var infos: UInt64
        var headID: UInt64
        var tailID: UInt64
        var sizeBits: UInt64
        var data: UInt64
        var counter: UInt64
        var descSize: UInt64
        var stateVar: UInt64
        var textBlockPosition: UInt64
        var blockBegin: UInt64
        var blockNext: UInt64
        var infoSize: UInt64
        var sequence: UInt64?
        var timestamp: UInt64
        var textLength: UInt64
        var callerID: UInt64?
        var subsystem: (offset: UInt64, length: UInt64)?
        var device: (offset: UInt64, length: UInt64)?
    }

    /// The most `count_bits` accepted: 2^30 descriptors is far beyond any kernel.
    static let maximumCountBits: UInt32 = 30
    /// The most `size_bits` accepted: the kernel's `LOG_BUF_LEN_MAX` is 2^31.
    static let maximumSizeBits: UInt32 = 31
    /// Structures larger than this in VMCOREINFO are taken as corrupt.
    static let maximumStructureSize: UInt64 = 4096
    /// Unreadable records after which the walk stops rather than report each.
    static let maximumUnreadableRecords = 1024

    let memory: KernelLogMemory
    let prbSymbol: UInt64
    let layout: Layout

    init(vmcoreInfo info: VmcoreInfo, memory: KernelLogMemory, prbSymbol: UInt64) throws(CrashDumpError) {
        self.memory = memory
        self.prbSymbol = prbSymbol
        let purpose = "the 5.10+ printk ring buffer"
        let word = UInt64(memory.pointerSize)
        var layout = Layout(
            descRing: try info.requiredOffset("printk_ringbuffer", "desc_ring", for: purpose),
            textDataRing: try info.requiredOffset("printk_ringbuffer", "text_data_ring", for: purpose),
            countBits: try info.requiredOffset("prb_desc_ring", "count_bits", for: purpose),
            descs: try info.requiredOffset("prb_desc_ring", "descs", for: purpose),
            infos: try info.requiredOffset("prb_desc_ring", "infos", for: purpose),
            headID: try info.requiredOffset("prb_desc_ring", "head_id", for: purpose),
            tailID: try info.requiredOffset("prb_desc_ring", "tail_id", for: purpose),
            sizeBits: try info.requiredOffset("prb_data_ring", "size_bits", for: purpose),
            data: try info.requiredOffset("prb_data_ring", "data", for: purpose),
            // atomic_long_t has one member; kernels that export the ring export this too.
            counter: info.offset("atomic_long_t", "counter") ?? 0,
            descSize: try info.requiredSize("prb_desc", for: purpose),
            stateVar: try info.requiredOffset("prb_desc", "state_var", for: purpose),
            textBlockPosition: try info.requiredOffset("prb_desc", "text_blk_lpos", for: purpose),
            blockBegin: try info.requiredOffset("prb_data_blk_lpos", "begin", for: purpose),
            blockNext: try info.requiredOffset("prb_data_blk_lpos", "next", for: purpose),
            infoSize: try info.requiredSize("printk_info", for: purpose),
            sequence: info.offset("printk_info", "seq"),
            timestamp: try info.requiredOffset("printk_info", "ts_nsec", for: purpose),
            textLength: try info.requiredOffset("printk_info", "text_len", for: purpose),
            callerID: info.offset("printk_info", "caller_id"),
            subsystem: nil,
            device: nil)

        try Self.checkSize("SIZE(prb_desc)", layout.descSize)
        try Self.checkSize("SIZE(printk_info)", layout.infoSize)
        // Bounded offsets keep every sum below from overflowing.
        let offsets: [(String, UInt64)] = [
            ("OFFSET(printk_ringbuffer.desc_ring)", layout.descRing),
            ("OFFSET(printk_ringbuffer.text_data_ring)", layout.textDataRing),
            ("OFFSET(prb_desc_ring.count_bits)", layout.countBits), ("OFFSET(prb_desc_ring.descs)", layout.descs),
            ("OFFSET(prb_desc_ring.infos)", layout.infos), ("OFFSET(prb_desc_ring.head_id)", layout.headID),
            ("OFFSET(prb_desc_ring.tail_id)", layout.tailID), ("OFFSET(prb_data_ring.size_bits)", layout.sizeBits),
            ("OFFSET(prb_data_ring.data)", layout.data), ("OFFSET(atomic_long_t.counter)", layout.counter),
            ("OFFSET(prb_desc.state_var)", layout.stateVar), ("OFFSET(prb_desc.text_blk_lpos)", layout.textBlockPosition),
            ("OFFSET(prb_data_blk_lpos.begin)", layout.blockBegin), ("OFFSET(prb_data_blk_lpos.next)", layout.blockNext),
        ]
        for (key, value) in offsets where value > Self.maximumStructureSize {
            throw .invalidVmcoreInfo(key: key, value: String(value),
                                     reason: "beyond any plausible structure (\(Self.maximumStructureSize) bytes)")
        }
        try Self.check("OFFSET(prb_desc.state_var)", layout.stateVar, extent: layout.counter + word, within: layout.descSize)
        let positionEnd = max(layout.blockBegin, layout.blockNext) + word
        try Self.check("OFFSET(prb_desc.text_blk_lpos)", layout.textBlockPosition, extent: positionEnd, within: layout.descSize)
        try Self.check("OFFSET(printk_info.ts_nsec)", layout.timestamp, extent: 8, within: layout.infoSize)
        try Self.check("OFFSET(printk_info.text_len)", layout.textLength, extent: 2, within: layout.infoSize)
        // Optional fields that do not fit are left out rather than refused.
        if let sequence = layout.sequence, !Self.fits(sequence, 8, layout.infoSize) { layout.sequence = nil }
        if let caller = layout.callerID, !Self.fits(caller, 4, layout.infoSize) { layout.callerID = nil }
        if let devInfo = info.offset("printk_info", "dev_info") {
            func field(_ name: String, _ lengthName: String) -> (offset: UInt64, length: UInt64)? {
                guard let offset = info.offset("dev_printk_info", name), let length = info.length(lengthName),
                      offset <= Self.maximumStructureSize, devInfo <= Self.maximumStructureSize,
                      Self.fits(devInfo + offset, length, layout.infoSize) else { return nil }
                return (devInfo + offset, length)
            }
            layout.subsystem = field("subsystem", "printk_info_subsystem")
            layout.device = field("device", "printk_info_device")
        }
        self.layout = layout
    }

    /// Whether `extent` bytes at `offset` fit in `size` bytes (without overflow).
    static func fits(_ offset: UInt64, _ extent: UInt64, _ size: UInt64) -> Bool {
        offset <= size && extent <= size - offset
    }

    static func checkSize(_ key: String, _ value: UInt64) throws(CrashDumpError) {
        guard value > 0, value <= maximumStructureSize else {
            throw .invalidVmcoreInfo(key: key, value: String(value), reason: "not a plausible structure size (1...\(maximumStructureSize))")
        }
    }

    static func check(_ key: String, _ offset: UInt64, extent: UInt64, within size: UInt64) throws(CrashDumpError) {
        guard fits(offset, extent, size) else {
            throw .invalidVmcoreInfo(key: key, value: String(offset),
                                     reason: "\(extent) bytes there do not fit in the \(size)-byte structure")
        }
    }

    /// The ring's header as read from the dump.
    struct Header {
        var address: UInt64
        var countBits: UInt32
        var sizeBits: UInt32
        var descs: UInt64
        var infos: UInt64
        var data: UInt64
        var headID: UInt64
        var tailID: UInt64
    }

    func readHeader() throws(CrashDumpError) -> Header {
        let word = UInt64(memory.pointerSize)
        let fields: [(offset: UInt64, size: UInt64, key: String)] = [
            (layout.descRing, layout.countBits + 4, "OFFSET(prb_desc_ring.count_bits)"),
            (layout.descRing, layout.descs + word, "OFFSET(prb_desc_ring.descs)"),
            (layout.descRing, layout.infos + word, "OFFSET(prb_desc_ring.infos)"),
            (layout.descRing, layout.headID + layout.counter + word, "OFFSET(prb_desc_ring.head_id)"),
            (layout.descRing, layout.tailID + layout.counter + word, "OFFSET(prb_desc_ring.tail_id)"),
            (layout.textDataRing, layout.sizeBits + 4, "OFFSET(prb_data_ring.size_bits)"),
            (layout.textDataRing, layout.data + word, "OFFSET(prb_data_ring.data)"),
        ]
        var needed: UInt64 = 0
        for field in fields {
            guard field.offset <= Self.maximumStructureSize, field.size <= Self.maximumStructureSize,
                  field.offset + field.size <= Self.maximumStructureSize else {
                throw .invalidVmcoreInfo(key: field.key, value: String(field.offset + field.size),
                                         reason: "the field would end at that byte of struct printk_ringbuffer, beyond any plausible size")
            }
            needed = max(needed, field.offset + field.size)
        }
        let address = try memory.word(at: prbSymbol)
        let bytes = try memory.bytes(at: address, count: Int(needed))
        let ring = layout.descRing
        let text = layout.textDataRing
        // Every field lies inside `bytes` (checked above), so the decodes succeed.
        return Header(
            address: address,
            countBits: memory.decode(UInt32.self, bytes, at: ring + layout.countBits) ?? 0,
            sizeBits: memory.decode(UInt32.self, bytes, at: text + layout.sizeBits) ?? 0,
            descs: memory.decodeWord(bytes, at: ring + layout.descs) ?? 0,
            infos: memory.decodeWord(bytes, at: ring + layout.infos) ?? 0,
            data: memory.decodeWord(bytes, at: text + layout.data) ?? 0,
            headID: memory.decodeWord(bytes, at: ring + layout.headID + layout.counter) ?? 0,
            tailID: memory.decodeWord(bytes, at: ring + layout.tailID + layout.counter) ?? 0)
    }

    /// The bits of a descriptor id: 62 with 64-bit longs, 30 with 32-bit ones (the
    /// top two bits of `state_var` hold the state).
    var idMask: UInt64 { memory.pointerSize == 8 ? (1 << 62) - 1 : (1 << 30) - 1 }

    func read() throws(CrashDumpError) -> KernelLog {
        let header = try readHeader()
        guard header.countBits <= Self.maximumCountBits else {
            throw .corruptKernelData(structure: "printk_ringbuffer.desc_ring", address: header.address,
                                     reason: "count_bits \(header.countBits) is above \(Self.maximumCountBits)")
        }
        guard header.sizeBits <= Self.maximumSizeBits else {
            throw .corruptKernelData(structure: "printk_ringbuffer.text_data_ring", address: header.address,
                                     reason: "size_bits \(header.sizeBits) is above \(Self.maximumSizeBits)")
        }
        let count = UInt64(1) << header.countBits
        var walk = Walk(ring: self, count: count, ringSize: UInt64(1) << header.sizeBits,
                        descs: try memory.region("prb descs", at: header.descs, size: count * layout.descSize),
                        infos: try memory.region("prb infos", at: header.infos, size: count * layout.infoSize),
                        text: try memory.region("prb text data ring", at: header.data, size: UInt64(1) << header.sizeBits))
        let mask = idMask
        let tail = header.tailID & mask
        let head = header.headID & mask
        let span = (head &- tail) & mask
        if span < count {
            for step in 0...span where !walk.gaveUp { walk.visit(id: (tail + step) & mask) }
        } else {
            // vmcore-dmesg would step through every id in between; only the one id a
            // descriptor holds can match it, so take those in the same order.
            walk.issues.append(.idSpanExceedsRing(tailID: tail, headID: head, count: count))
            var found: [(distance: UInt64, id: UInt64)] = []
            for slot in 0..<count where !walk.gaveUp {
                do throws(CrashDumpError) {
                    let id = try walk.storedID(slot: slot)
                    let distance = (id &- tail) & mask
                    if id & (count - 1) == slot && distance <= span { found.append((distance, id)) }
                } catch {
                    walk.skip(position: slot, error: error)
                }
            }
            for entry in found.sorted(by: { $0.distance < $1.distance }) where !walk.gaveUp { walk.visit(id: entry.id) }
        }
        return KernelLog(format: .locklessRingBuffer, records: walk.records, issues: walk.issues)
    }

    /// The state of one walk: the cached regions and what was found.
    struct Walk {
        let ring: LocklessRingBuffer
        let count: UInt64
        let ringSize: UInt64
        var descs: CachedRegion
        var infos: CachedRegion
        var text: CachedRegion
        var records: [KernelLog.Record] = []
        var issues: [KernelLogIssue] = []
        var unreadable = 0
        /// Set once ``maximumUnreadableRecords`` records could not be read.
        var gaveUp = false

        /// The `state_var` of descriptor `slot`.
        mutating func stateVar(slot: UInt64) throws(CrashDumpError) -> UInt64 {
            let layout = ring.layout
            let bytes = try descs.bytes(at: slot * layout.descSize, count: Int(layout.descSize))
            return ring.memory.decodeWord(bytes, at: layout.stateVar + layout.counter) ?? 0
        }

        /// The id held in descriptor `slot`'s `state_var`.
        mutating func storedID(slot: UInt64) throws(CrashDumpError) -> UInt64 {
            try stateVar(slot: slot) & ring.idMask
        }

        /// Reads the record of descriptor id `id` and keeps it when it is committed
        /// or finalized; an unreadable record becomes an issue.
        mutating func visit(id: UInt64) {
            do throws(CrashDumpError) {
                if let record = try record(id: id) { records.append(record) }
            } catch {
                skip(position: id, error: error)
            }
        }

        /// Notes a record that could not be read; after ``maximumUnreadableRecords``
        /// of them the walk stops (the ring is not in the dump, or not where its
        /// header says).
        mutating func skip(position: UInt64, error: CrashDumpError) {
            issues.append(.recordUnreadable(position: position, error: error))
            unreadable += 1
            if unreadable >= LocklessRingBuffer.maximumUnreadableRecords {
                issues.append(.walkStopped(position: position, reason: "\(unreadable) records could not be read"))
                gaveUp = true
            }
        }

        mutating func record(id: UInt64) throws(CrashDumpError) -> KernelLog.Record? {
            let layout = ring.layout
            let memory = ring.memory
            let slot = id & (count - 1)
            let desc = try descs.bytes(at: slot * layout.descSize, count: Int(layout.descSize))
            let state = memory.decodeWord(desc, at: layout.stateVar + layout.counter) ?? 0
            let stateShift: UInt64 = memory.pointerSize == 8 ? 62 : 30
            // desc_committed (1) or desc_finalized (2), for this id.
            guard state & ring.idMask == id, (1...2).contains((state >> stateShift) & 3) else { return nil }

            let info = try infos.bytes(at: slot * layout.infoSize, count: Int(layout.infoSize))
            let position = layout.textBlockPosition
            var begin = (memory.decodeWord(desc, at: position + layout.blockBegin) ?? 0) % ringSize
            let next = (memory.decodeWord(desc, at: position + layout.blockNext) ?? 0) % ringSize
            let declared = UInt64(memory.decode(UInt16.self, info, at: layout.textLength) ?? 0)
            var bytes: [UInt8] = []
            if begin != next {
                // A block that wraps keeps its data at the start of the ring.
                if begin > next { begin = 0 }
                // Skip the block's id (an unsigned long).
                begin += UInt64(memory.pointerSize)
                var length = declared
                if next &- begin < length { length = next &- begin }
                let available = begin < ringSize ? min(length, ringSize - begin) : 0
                if available < declared {
                    issues.append(.textTruncated(position: id, declared: declared, available: available))
                }
                bytes = try text.bytes(at: begin, count: Int(available))
            }
            return KernelLog.Record(
                sequence: layout.sequence.flatMap { memory.decode(UInt64.self, info, at: $0) },
                timestamp: memory.decode(UInt64.self, info, at: layout.timestamp) ?? 0,
                text: bytes,
                caller: layout.callerID.flatMap { memory.decode(UInt32.self, info, at: $0) }.map(KernelLog.Caller.init(callerID:)),
                deviceInfo: deviceInfo(info))
        }

        func deviceInfo(_ info: [UInt8]) -> KernelLog.DeviceInfo? {
            func string(_ field: (offset: UInt64, length: UInt64)?) -> String {
                guard let field else { return "" }
                let bytes = info[Int(field.offset)..<Int(field.offset + field.length)]
                return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            let subsystem = string(ring.layout.subsystem)
            let device = string(ring.layout.device)
            if subsystem.isEmpty && device.isEmpty { return nil }
            return KernelLog.DeviceInfo(subsystem: subsystem, device: device)
        }
    }
}
