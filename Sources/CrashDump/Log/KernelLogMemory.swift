import KexecCore

/// Reads the crashed kernel's integers and pointers for the log walkers, with the
/// crashed machine's byte order and `sizeof(long)`.
struct KernelLogMemory: Sendable {
    let kernel: any KernelMemory
    let byteOrder: ByteOrder
    /// `sizeof(long)`: 4 or 8.
    let pointerSize: Int

    /// `count` bytes at kernel virtual `address`.
    func bytes(at address: UInt64, count: Int) throws(CrashDumpError) -> [UInt8] {
        try kernel.read(virtual: address, count: count)
    }

    /// A `long` or pointer at `address`.
    func word(at address: UInt64) throws(CrashDumpError) -> UInt64 {
        decodeWord(try bytes(at: address, count: pointerSize), at: 0) ?? 0
    }

    /// A 32-bit integer at `address`.
    func u32(at address: UInt64) throws(CrashDumpError) -> UInt32 {
        decode(UInt32.self, try bytes(at: address, count: 4), at: 0) ?? 0
    }

    /// An unsigned integer of `T`'s width at byte `offset` of `bytes`, or `nil` when
    /// it does not fit.
    func decode<T: FixedWidthInteger & UnsignedInteger>(_ type: T.Type, _ bytes: [UInt8], at offset: UInt64) -> T? {
        let size = UInt64(MemoryLayout<T>.size)
        guard offset <= UInt64(bytes.count), UInt64(bytes.count) - offset >= size else { return nil }
        let start = Int(offset)
        var value: T = 0
        for index in 0..<Int(size) {
            let byte = T(bytes[byteOrder == .little ? start + Int(size) - 1 - index : start + index])
            value = value << 8 | byte
        }
        return value
    }

    /// A `long` at byte `offset` of `bytes`, or `nil` when it does not fit.
    func decodeWord(_ bytes: [UInt8], at offset: UInt64) -> UInt64? {
        pointerSize == 8 ? decode(UInt64.self, bytes, at: offset) : decode(UInt32.self, bytes, at: offset).map(UInt64.init)
    }

    /// A region of kernel memory (an array, a ring) read page by page on demand
    /// and cached, so a walk reads each page once and a page missing from the
    /// dump costs only the records that lie in it.
    func region(_ name: String, at base: UInt64, size: UInt64) throws(CrashDumpError) -> CachedRegion {
        guard base.addingReportingOverflow(size).overflow == false else {
            throw .corruptKernelData(structure: name, address: base,
                                     reason: "0x\(String(size, radix: 16)) bytes run past the top of the address space")
        }
        return CachedRegion(memory: self, name: name, base: base, size: size)
    }
}

/// A bounded region of kernel virtual memory with a page cache; see
/// ``KernelLogMemory/region(_:at:size:)``.
struct CachedRegion {
    let memory: KernelLogMemory
    let name: String
    let base: UInt64
    let size: UInt64
    private var pages: [UInt64: [UInt8]] = [:]
    /// Pages that could not be read, so each is tried once.
    private var failures: [UInt64: CrashDumpError] = [:]

    init(memory: KernelLogMemory, name: String, base: UInt64, size: UInt64) {
        self.memory = memory
        self.name = name
        self.base = base
        self.size = size
    }

    /// `count` bytes from `offset` into the region, which must lie inside it.
    mutating func bytes(at offset: UInt64, count: Int) throws(CrashDumpError) -> [UInt8] {
        guard count > 0 else { return [] }
        guard offset <= size, UInt64(count) <= size - offset else {
            throw .corruptKernelData(structure: name, address: base,
                                     reason: "bytes 0x\(String(offset, radix: 16)) + \(count) lie outside its 0x\(String(size, radix: 16)) bytes")
        }
        let pageSize = UInt64(max(memory.kernel.physical.pageSize, 1))
        var result: [UInt8] = []
        result.reserveCapacity(count)
        // base + size does not overflow (checked when the region was made).
        var cursor = base + offset
        let end = cursor + UInt64(count)
        while cursor < end {
            let page = cursor / pageSize
            let chunkStart = max(page * pageSize, base)
            let chunk: [UInt8]
            if let cached = pages[page] {
                chunk = cached
            } else if let failure = failures[page] {
                throw failure
            } else {
                let (pageEnd, overflow) = (page * pageSize).addingReportingOverflow(pageSize)
                let chunkEnd = overflow ? base + size : min(pageEnd, base + size)
                do throws(CrashDumpError) {
                    chunk = try memory.bytes(at: chunkStart, count: Int(chunkEnd - chunkStart))
                } catch {
                    failures[page] = error
                    throw error
                }
                pages[page] = chunk
            }
            let from = Int(cursor - chunkStart)
            let take = min(chunk.count - from, Int(end - cursor))
            result.append(contentsOf: chunk[from..<from + take])
            cursor += UInt64(take)
        }
        return result
    }
}
