import KexecCore

// The kernel layer's only raw-memory code: reading fixed-width integers from
// physical memory and from byte buffers of kernel structures.

extension PhysicalMemory {
    /// The `T` at physical `address` in `byteOrder`.
    /// - Throws: what ``read(physical:into:)`` throws.
    func readInteger<T: FixedWidthInteger>(_ type: T.Type, physical address: UInt64,
                                           byteOrder: ByteOrder) throws(CrashDumpError) -> T {
        var raw = T.zero
        var failure: CrashDumpError?
        // Safe: the buffer is exactly the bytes of the local `raw`, alive for the call.
        withUnsafeMutableBytes(of: &raw) { buffer in
            do throws(CrashDumpError) {
                try read(physical: address, into: buffer)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return byteOrder == .little ? T(littleEndian: raw) : T(bigEndian: raw)
    }
}

extension KernelMemory {
    /// The `T` at kernel virtual `address` in `byteOrder`.
    /// - Throws: what ``read(virtual:into:)`` throws.
    func readInteger<T: FixedWidthInteger>(_ type: T.Type, virtual address: UInt64,
                                           byteOrder: ByteOrder) throws(CrashDumpError) -> T {
        var raw = T.zero
        var failure: CrashDumpError?
        // Safe: the buffer is exactly the bytes of the local `raw`, alive for the call.
        withUnsafeMutableBytes(of: &raw) { buffer in
            do throws(CrashDumpError) {
                try readCoalesced(virtual: address, into: buffer)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return byteOrder == .little ? T(littleEndian: raw) : T(bigEndian: raw)
    }

    /// `count` bytes from kernel virtual `address` with ``readCoalesced(virtual:into:)``.
    func readBytesCoalesced(virtual address: UInt64, count: Int) throws(CrashDumpError) -> [UInt8] {
        guard count > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: count)
        var failure: CrashDumpError?
        // Safe: the buffer is the array's own storage, alive for the call.
        bytes.withUnsafeMutableBytes { buffer in
            do throws(CrashDumpError) {
                try readCoalesced(virtual: address, into: buffer)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return bytes
    }
}

/// Reads fields of kernel structures from a byte buffer in one byte order and
/// word size. Every read is bounds-checked: a field past the end reads as zero,
/// so a layout that does not fit the buffer cannot reach outside it.
struct StructureReader {
    let bytes: UnsafeRawBufferPointer
    let byteOrder: ByteOrder

    @inline(__always)
    func u64(_ offset: Int) -> UInt64 { load(UInt64.self, offset) }

    @inline(__always)
    func u32(_ offset: Int) -> UInt32 { load(UInt32.self, offset) }

    @inline(__always)
    func u16(_ offset: Int) -> UInt16 { load(UInt16.self, offset) }

    @inline(__always)
    func u8(_ offset: Int) -> UInt8 { offset >= 0 && offset < bytes.count ? bytes[offset] : 0 }

    /// An `unsigned long` of `width` bytes (4 or 8), zero-extended.
    @inline(__always)
    func word(_ offset: Int, width: Int) -> UInt64 { width == 8 ? u64(offset) : UInt64(u32(offset)) }

    @inline(__always)
    private func load<T: FixedWidthInteger>(_ type: T.Type, _ offset: Int) -> T {
        guard offset >= 0, offset <= bytes.count - MemoryLayout<T>.size else { return 0 }
        // Safe: the guard keeps [offset, offset + size) inside `bytes`; loadUnaligned
        // has no alignment requirement.
        let raw = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        return byteOrder == .little ? T(littleEndian: raw) : T(bigEndian: raw)
    }
}
