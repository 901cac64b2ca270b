import ElfNotes

/// The Linux 3.5-5.9 log: variable-length records in `log_buf`, each a
/// `struct printk_log` header (`struct log` before 3.11) followed by its text and
/// dictionary, from `log_first_idx` up to `log_next_idx`. A header whose `len`
/// is 0 marks the end of the used buffer: the next record is at index 0.
///
/// The walk follows kexec-tools' `vmcore-dmesg`, including the empty line it
/// prints for the wrap marker, and stops where it stops: at a second wrap marker
/// (the records loop) or an index with no room for a header.
struct VariableLengthLog {
    let memory: KernelLogMemory
    let logBuffer: UInt64
    let logBufferLength: UInt64
    let firstIndex: UInt64
    let nextIndex: UInt64
    let headerSize: UInt64
    let timestamp: UInt64
    let length: UInt64
    let textLength: UInt64
    let dictionaryLength: UInt64?
    let callerID: UInt64?

    init(vmcoreInfo info: VmcoreInfo, memory: KernelLogMemory) throws(CrashDumpError) {
        self.memory = memory
        let purpose = "the 3.5-5.9 printk log"
        logBuffer = try info.logRequiredSymbol("log_buf", for: purpose)
        logBufferLength = try info.logRequiredSymbol("log_buf_len", for: purpose)
        firstIndex = try info.logRequiredSymbol("log_first_idx", for: purpose)
        nextIndex = try info.logRequiredSymbol("log_next_idx", for: purpose)
        // `struct log` was renamed `struct printk_log` in 3.11.
        let structure = info.size("printk_log") != nil ? "printk_log" : "log"
        headerSize = try info.requiredSize(structure, for: purpose)
        guard headerSize > 0, headerSize <= LocklessRingBuffer.maximumStructureSize else {
            throw .invalidVmcoreInfo(key: "SIZE(\(structure))", value: String(headerSize), reason: "not a plausible record header size")
        }
        let size = headerSize
        func field(_ name: String, _ width: UInt64) throws(CrashDumpError) -> UInt64 {
            let offset = try info.requiredOffset(structure, name, for: purpose)
            guard LocklessRingBuffer.fits(offset, width, size) else {
                throw .invalidVmcoreInfo(key: "OFFSET(\(structure).\(name))", value: String(offset),
                                         reason: "\(width) bytes there do not fit in the \(size)-byte header")
            }
            return offset
        }
        timestamp = try field("ts_nsec", 8)
        length = try field("len", 2)
        textLength = try field("text_len", 2)
        dictionaryLength = info.offset(structure, "dict_len").flatMap { LocklessRingBuffer.fits($0, 2, size) ? $0 : nil }
        callerID = info.offset(structure, "caller_id").flatMap { LocklessRingBuffer.fits($0, 4, size) ? $0 : nil }
    }

    func read() throws(CrashDumpError) -> KernelLog {
        let buffer = try memory.word(at: logBuffer)
        let bufferLength = UInt64(try memory.u32(at: logBufferLength))
        guard bufferLength >= headerSize, bufferLength <= KernelLog.maximumBufferSize else {
            throw .corruptKernelData(structure: "log_buf_len", address: logBufferLength,
                                     reason: "\(bufferLength) is not between one \(headerSize)-byte header and \(KernelLog.maximumBufferSize)")
        }
        let first = UInt64(try memory.u32(at: firstIndex))
        let next = UInt64(try memory.u32(at: nextIndex))
        var region = try memory.region("log_buf", at: buffer, size: bufferLength)
        let lastHeader = bufferLength - headerSize
        var records: [KernelLog.Record] = []
        var issues: [KernelLogIssue] = []
        guard first <= lastHeader else {
            issues.append(.walkStopped(position: first, reason: "log_first_idx is past the last header of the \(bufferLength)-byte log_buf"))
            return KernelLog(format: .variableLengthRecords, issues: issues)
        }

        // Every step moves forward by at least one header and at most one wrap is
        // allowed, so the walk ends within 2 * log_buf_len / header size steps.
        var index = first
        var wrapped = false
        while index != next {
            let header: [UInt8]
            do throws(CrashDumpError) {
                header = try region.bytes(at: index, count: Int(headerSize))
            } catch {
                issues.append(.walkStopped(position: index, reason: "its header cannot be read: \(error)"))
                break
            }
            let recordLength = UInt64(memory.decode(UInt16.self, header, at: length) ?? 0)
            let declared = UInt64(memory.decode(UInt16.self, header, at: textLength) ?? 0)
            let textStart = index + headerSize
            // The text must stay inside the record (or, for a marker, the buffer).
            let limit = recordLength >= headerSize ? min(index + recordLength, bufferLength) : bufferLength
            let available = min(declared, limit - textStart)
            if available < declared {
                issues.append(.textTruncated(position: index, declared: declared, available: available))
            }
            do throws(CrashDumpError) {
                let text = try region.bytes(at: textStart, count: Int(available))
                var deviceInfo: KernelLog.DeviceInfo?
                if available == declared, let dictionaryLength,
                   let dictionarySize = memory.decode(UInt16.self, header, at: dictionaryLength), dictionarySize > 0 {
                    let dictionaryStart = textStart + declared
                    let count = min(UInt64(dictionarySize), limit - min(dictionaryStart, limit))
                    deviceInfo = Self.deviceInfo(dictionary: try region.bytes(at: dictionaryStart, count: Int(count)))
                }
                records.append(KernelLog.Record(
                    timestamp: memory.decode(UInt64.self, header, at: timestamp) ?? 0, text: text,
                    caller: callerID.flatMap { memory.decode(UInt32.self, header, at: $0) }.map(KernelLog.Caller.init(callerID:)),
                    deviceInfo: deviceInfo, isWrapMarker: recordLength == 0))
            } catch {
                issues.append(.recordUnreadable(position: index, error: error))
            }

            if recordLength == 0 {
                guard !wrapped else {
                    issues.append(.walkStopped(position: index, reason: "a second end-of-buffer marker: the records loop"))
                    break
                }
                wrapped = true
                index = 0
            } else {
                guard recordLength >= headerSize else {
                    issues.append(.walkStopped(position: index, reason: "len \(recordLength) is shorter than the \(headerSize)-byte header"))
                    break
                }
                index += recordLength
                guard index <= lastHeader else {
                    issues.append(.walkStopped(position: index, reason: "past the last header of the \(bufferLength)-byte log_buf"))
                    break
                }
            }
        }
        return KernelLog(format: .variableLengthRecords, records: records, issues: issues)
    }

    /// The device of a record dictionary: NUL-separated `KEY=value` entries, of
    /// which `SUBSYSTEM=` and `DEVICE=` name the device.
    static func deviceInfo(dictionary: [UInt8]) -> KernelLog.DeviceInfo? {
        var subsystem = ""
        var device = ""
        for entry in dictionary.split(separator: 0) {
            let text = String(decoding: entry, as: UTF8.self)
            if text.hasPrefix("SUBSYSTEM=") { subsystem = String(text.dropFirst("SUBSYSTEM=".count)) }
            if text.hasPrefix("DEVICE=") { device = String(text.dropFirst("DEVICE=".count)) }
        }
        if subsystem.isEmpty && device.isEmpty { return nil }
        return KernelLog.DeviceInfo(subsystem: subsystem, device: device)
    }
}
