public import ElfNotes
public import KexecCore

/// The crashed kernel's log buffer (what `dmesg` would have shown), read from
/// the dump with nothing but VMCOREINFO, so the reader never needs the crashed
/// kernel's debug information or version.
///
/// Three layouts exist, and VMCOREINFO says which one a kernel used:
///
/// - ``Format/locklessRingBuffer``, Linux 5.10 and later: `SYMBOL(prb)` points at
///   a `struct printk_ringbuffer` of descriptors, infos and a text data ring
///   (kernel/printk/printk_ringbuffer.c).
/// - ``Format/variableLengthRecords``, Linux 3.5 to 5.9: `struct printk_log`
///   headers followed by their text in `log_buf`, from `log_first_idx` to
///   `log_next_idx`, a zero `len` marking the wrap to the start.
/// - ``Format/characterRing``, before 3.5: a ring of characters in `log_buf`
///   ending at `log_end`.
///
/// ``dmesgBytes`` prints it exactly as kexec-tools' `vmcore-dmesg` does.
/// Damaged rings do not stop the reader: a record that cannot be read is skipped
/// and a walk that goes astray stops, each with an entry in ``issues``.
public struct KernelLog: Hashable, Sendable {
    /// Which printk buffer layout the crashed kernel used.
    public enum Format: String, Hashable, Sendable, CaseIterable {
        /// Linux 5.10+: the lockless `printk_ringbuffer` (`SYMBOL(prb)`).
        case locklessRingBuffer
        /// Linux 3.5-5.9: variable-length `struct printk_log` records (`SYMBOL(log_first_idx)`).
        case variableLengthRecords
        /// Before Linux 3.5: a plain ring of characters (`SYMBOL(log_end)`).
        case characterRing
    }

    /// Who logged a record: `caller_id` of kernels with `CONFIG_PRINTK_CALLER`
    /// (always recorded since 5.10): a task's PID, or a CPU for messages from
    /// interrupt context (bit 31 set).
    public enum Caller: Hashable, Sendable, CustomStringConvertible {
        /// A task, by PID (0 is the idle task).
        case thread(UInt32)
        /// A CPU, for a message logged outside task context.
        case cpu(UInt32)

        /// Decodes a kernel `caller_id`: bit 31 set means a CPU number in the low bits.
        public init(callerID: UInt32) {
            self = callerID & 0x8000_0000 != 0 ? .cpu(callerID & 0x7fff_ffff) : .thread(callerID)
        }

        /// The kernel's `caller_id` value.
        public var callerID: UInt32 {
            switch self {
            case .thread(let pid): pid
            case .cpu(let cpu): cpu | 0x8000_0000
            }
        }

        /// "T123" or "C1", as `dmesg` and `/dev/kmsg` show it.
        public var description: String {
            switch self {
            case .thread(let pid): "T\(pid)"
            case .cpu(let cpu): "C\(cpu)"
            }
        }
    }

    /// The device a record names (`dev_printk`): `struct dev_printk_info` in
    /// 5.10+, the `SUBSYSTEM=` and `DEVICE=` entries of the record's dictionary before.
    public struct DeviceInfo: Hashable, Sendable {
        /// The subsystem ("pci", "usb", ...).
        public var subsystem: String
        /// The device ("+pci:0000:00:01.0", "b8:0", "n2", ...).
        public var device: String

        /// A device description.
        public init(subsystem: String, device: String) {
            self.subsystem = subsystem
            self.device = device
        }
    }

    /// One log record.
    public struct Record: Hashable, Sendable {
        /// `printk_info.seq` (lockless ring buffer only).
        public var sequence: UInt64?
        /// `ts_nsec`: nanoseconds since boot (the kernel's `local_clock()`).
        public var timestamp: UInt64
        /// The message bytes as stored: no level prefix, no trailing newline,
        /// possibly with embedded newlines or bytes that are not text.
        public var text: [UInt8]
        /// Who logged it, when the kernel records and exports `caller_id`.
        public var caller: Caller?
        /// The device, for `dev_printk` messages whose layout is exported.
        public var deviceInfo: DeviceInfo?
        /// Whether this is the empty header (`len` 0) that marks where a 3.5-5.9
        /// log buffer wraps. `vmcore-dmesg` prints it as an empty line; it is no message.
        public var isWrapMarker: Bool

        /// A record with every field given.
        public init(sequence: UInt64? = nil, timestamp: UInt64, text: [UInt8], caller: Caller? = nil,
                    deviceInfo: DeviceInfo? = nil, isWrapMarker: Bool = false) {
            self.sequence = sequence
            self.timestamp = timestamp
            self.text = text
            self.caller = caller
            self.deviceInfo = deviceInfo
            self.isWrapMarker = isWrapMarker
        }

        /// The text decoded as UTF-8 (invalid bytes become U+FFFD).
        public var string: String { String(decoding: text, as: UTF8.self) }
    }

    /// The layout the log was read from.
    public var format: Format
    /// The records in log order (empty for ``Format/characterRing``), wrap
    /// markers included; see ``messages``.
    public var records: [Record]
    /// For ``Format/characterRing``: the logged characters, oldest first (empty otherwise).
    public var characters: [UInt8]
    /// What went wrong while reading: skipped records, a walk that stopped early.
    public var issues: [KernelLogIssue]

    /// A log with every field given.
    public init(format: Format, records: [Record] = [], characters: [UInt8] = [], issues: [KernelLogIssue] = []) {
        self.format = format
        self.records = records
        self.characters = characters
        self.issues = issues
    }

    /// The records that are messages (``records`` without the wrap markers).
    public var messages: [Record] { records.filter { !$0.isWrapMarker } }

    /// Whether the whole log was read: no record skipped and no walk stopped early.
    public var isComplete: Bool { issues.allSatisfy { !$0.losesText } }

    /// The number of records skipped because they could not be read.
    public var skippedRecords: Int {
        issues.reduce(0) { count, issue in
            if case .recordUnreadable = issue { return count + 1 }
            return count
        }
    }

    /// The largest log buffer a kernel can have (`LOG_BUF_LEN_MAX`, 2 GiB).
    public static let maximumBufferSize: UInt64 = 1 << 31

    /// Reads the crashed kernel's log through `kernel`, choosing the layout as
    /// `vmcore-dmesg` does: `SYMBOL(prb)`, else `SYMBOL(log_first_idx)`, else the
    /// character ring.
    /// - Parameters:
    ///   - kernel: the crashed kernel's virtual memory.
    ///   - vmcoreInfo: the crashed kernel's VMCOREINFO: symbol addresses (kernel
    ///     virtual, KASLR offset already applied), structure sizes and offsets.
    ///   - byteOrder: the crashed machine's byte order.
    ///   - pointerSize: the crashed kernel's `sizeof(long)`, 4 or 8 (an i386 kernel's
    ///     dump is 4 even in an ELF64 core).
    /// - Throws: ``CrashDumpError/missingVmcoreInfo(key:purpose:)`` or
    ///   ``CrashDumpError/invalidVmcoreInfo(key:value:reason:)`` when VMCOREINFO does
    ///   not describe a usable log, ``CrashDumpError/corruptKernelData(structure:address:reason:)``
    ///   for absurd ring sizes, ``CrashDumpError/unsupported(_:)`` for another pointer
    ///   size, or the read error of a structure every record needs (the ring's
    ///   header, the buffer pointer).
    public static func read(from kernel: any KernelMemory, vmcoreInfo: VmcoreInfo, byteOrder: ByteOrder,
                            pointerSize: Int) throws(CrashDumpError) -> KernelLog {
        guard pointerSize == 4 || pointerSize == 8 else {
            throw .unsupported("a kernel log with \(pointerSize)-byte longs (only 4 and 8 exist)")
        }
        let memory = KernelLogMemory(kernel: kernel, byteOrder: byteOrder, pointerSize: pointerSize)
        if try vmcoreInfo.logHasSymbol("prb"), let prb = vmcoreInfo.logNonZeroSymbol("prb") {
            return try LocklessRingBuffer(vmcoreInfo: vmcoreInfo, memory: memory, prbSymbol: prb).read()
        }
        if try vmcoreInfo.logHasSymbol("log_first_idx") {
            return try VariableLengthLog(vmcoreInfo: vmcoreInfo, memory: memory).read()
        }
        return try CharacterRingLog(vmcoreInfo: vmcoreInfo, memory: memory).read()
    }

    /// Reads the crashed kernel's log through `kernel` for a kernel of
    /// `architecture` (its byte order and pointer size).
    /// - Throws: as ``read(from:vmcoreInfo:byteOrder:pointerSize:)``.
    public static func read(from kernel: any KernelMemory, vmcoreInfo: VmcoreInfo,
                            architecture: KexecArchitecture) throws(CrashDumpError) -> KernelLog {
        try read(from: kernel, vmcoreInfo: vmcoreInfo, byteOrder: architecture.byteOrder,
                 pointerSize: architecture.is64Bit ? 8 : 4)
    }
}

extension VmcoreInfo {
    // The log's symbols on top of the kernel layer's typed accessors: vmcore-dmesg
    // treats a zero address as absent.

    /// `SYMBOL(name)` when present, well-formed and not zero.
    func logNonZeroSymbol(_ name: String) -> UInt64? {
        guard let address = (try? presentSymbol(name)) ?? nil, address != 0 else { return nil }
        return address
    }

    /// Whether `SYMBOL(name)` is present and not zero.
    /// - Throws: ``CrashDumpError/invalidVmcoreInfo(key:value:reason:)`` when the
    ///   line is there but its value is no hex address.
    func logHasSymbol(_ name: String) throws(CrashDumpError) -> Bool {
        try presentSymbol(name).map { $0 != 0 } ?? false
    }

    /// `SYMBOL(name)` (not zero), or a typed error naming what needed it.
    func logRequiredSymbol(_ name: String, for purpose: String) throws(CrashDumpError) -> UInt64 {
        let address = try requiredSymbol(name, for: purpose)
        guard address != 0 else { throw .missingVmcoreInfo(key: "SYMBOL(\(name))", purpose: purpose) }
        return address
    }
}
