import ElfNotes

/// The log of kernels before 3.5: `log_buf`, a ring of `log_buf_len` characters
/// whose next write goes to `log_end % log_buf_len` (`log_end` counts every
/// character ever logged). As `vmcore-dmesg` and `crash` do, the whole ring is
/// taken, oldest character first, whatever `logged_chars` says (that one drops
/// to 0 after `dmesg -c`).
struct CharacterRingLog {
    let memory: KernelLogMemory
    let logBuffer: UInt64
    let logEnd: UInt64
    let logBufferLength: UInt64

    init(vmcoreInfo info: VmcoreInfo, memory: KernelLogMemory) throws(CrashDumpError) {
        self.memory = memory
        let purpose = "the kernel log (no SYMBOL(prb) or SYMBOL(log_first_idx), so the pre-3.5 character ring)"
        logBuffer = try info.logRequiredSymbol("log_buf", for: purpose)
        logEnd = try info.logRequiredSymbol("log_end", for: purpose)
        logBufferLength = try info.logRequiredSymbol("log_buf_len", for: purpose)
    }

    func read() throws(CrashDumpError) -> KernelLog {
        let buffer = try memory.word(at: logBuffer)
        let end = UInt64(try memory.u32(at: logEnd))
        // An int in the kernel.
        let rawLength = Int32(bitPattern: try memory.u32(at: logBufferLength))
        guard rawLength > 0, UInt64(rawLength) <= KernelLog.maximumBufferSize else {
            throw .corruptKernelData(structure: "log_buf_len", address: logBufferLength,
                                     reason: "\(rawLength) is not a buffer length")
        }
        let length = UInt64(rawLength)
        var region = try memory.region("log_buf", at: buffer, size: length)
        let characters: [UInt8]
        if end < length {
            characters = try region.bytes(at: 0, count: Int(end))
        } else {
            let wrap = end % length
            characters = try region.bytes(at: wrap, count: Int(length - wrap)) + region.bytes(at: 0, count: Int(wrap))
        }
        return KernelLog(format: .characterRing, characters: characters)
    }
}
