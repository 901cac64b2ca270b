import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Every raw-buffer operation of the dump formats' I/O, each with why it is safe.
enum RawMemory {
    /// Copies `bytes` into `buffer` starting at `offset`.
    ///
    /// Safe: the destination range is checked against `buffer.count` first (a
    /// short destination copies only what fits), and the source is pinned by
    /// `withUnsafeBytes` for the length of the copy.
    static func copy(_ bytes: ArraySlice<UInt8>, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        guard offset >= 0, offset <= buffer.count else { return }
        let count = min(bytes.count, buffer.count - offset)
        guard count > 0, let base = buffer.baseAddress else { return }
        bytes.withUnsafeBytes { source in
            if let from = source.baseAddress { (base + offset).copyMemory(from: from, byteCount: count) }
        }
    }

    /// Copies `count` bytes inside or between caller buffers.
    ///
    /// Safe: both ranges are checked against their buffers; `copyMemory` is a
    /// memmove, so overlapping ranges are fine.
    static func copy(from source: UnsafeRawBufferPointer, _ sourceOffset: Int,
                     to destination: UnsafeMutableRawBufferPointer, _ destinationOffset: Int, count: Int) {
        guard count > 0, sourceOffset >= 0, destinationOffset >= 0,
              sourceOffset <= source.count - count, destinationOffset <= destination.count - count,
              let from = source.baseAddress, let to = destination.baseAddress else { return }
        (to + destinationOffset).copyMemory(from: from + sourceOffset, byteCount: count)
    }

    /// Sets `range` of `buffer` to zero (clamped to the buffer).
    ///
    /// Safe: the range is clamped to `0..<buffer.count` before memset.
    static func zero(_ buffer: UnsafeMutableRawBufferPointer, _ range: Range<Int>) {
        let clamped = range.clamped(to: 0..<buffer.count)
        guard !clamped.isEmpty, let base = buffer.baseAddress else { return }
        (base + clamped.lowerBound).initializeMemory(as: UInt8.self, repeating: 0, count: clamped.count)
    }

    /// The sub-buffer `range` of `buffer` (clamped).
    ///
    /// Safe: rebasing a slice whose bounds were clamped to the parent buffer.
    static func slice(_ buffer: UnsafeMutableRawBufferPointer, _ range: Range<Int>) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: buffer[range.clamped(to: 0..<buffer.count)])
    }

    /// The read-only sub-buffer `range` of `buffer` (clamped).
    ///
    /// Safe: as ``slice(_:_:)``.
    static func slice(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffer[range.clamped(to: 0..<buffer.count)])
    }

    /// Whether every byte of `buffer` is zero (word at a time).
    ///
    /// Safe: `loadUnaligned` reads only inside `0..<buffer.count`; the tail is
    /// read byte by byte.
    static func isZero(_ buffer: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        let words = buffer.count & ~7
        while index < words {
            if buffer.loadUnaligned(fromByteOffset: index, as: UInt64.self) != 0 { return false }
            index += 8
        }
        while index < buffer.count {
            if buffer[index] != 0 { return false }
            index += 1
        }
        return true
    }

    /// Runs `body` over the storage of `array`.
    ///
    /// Safe: the pointer lives only inside `withUnsafeMutableBytes`.
    static func fill<E: Error>(_ array: inout [UInt8], _ body: (UnsafeMutableRawBufferPointer) throws(E) -> Void) throws(E) {
        let result: Result<Void, E> = array.withUnsafeMutableBytes { buffer in
            do throws(E) {
                try body(buffer)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    /// Runs `body` over the bytes of `array`.
    ///
    /// Safe: the pointer lives only inside `withUnsafeBytes`.
    static func view<R, E: Error>(_ array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = array.withUnsafeBytes { buffer in
            do throws(E) {
                return .success(try body(buffer))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

/// The system calls of the dump formats, with short transfers and EINTR retried.
enum FileIO {
    /// Fills `buffer` from `offset` with `pread`.
    ///
    /// Safe: each call gets the unfilled tail of `buffer` (rebased slice), so it
    /// writes at most `buffer.count - filled` bytes into caller memory.
    static func preadFully(_ descriptor: FileDescriptor, name: String, offset: UInt64,
                           into buffer: UnsafeMutableRawBufferPointer) throws(CrashDumpError) {
        guard !buffer.isEmpty else { return }
        guard offset <= UInt64(Int64.max) - UInt64(buffer.count) else {
            throw .invalidField(field: "file offset", offset: offset, value: offset, reason: "beyond what pread can address")
        }
        var filled = 0
        while filled < buffer.count {
            let got: Int
            do {
                got = try descriptor.read(fromAbsoluteOffset: Int64(offset) + Int64(filled),
                                          into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]),
                                          retryOnInterrupt: true)
            } catch {
                throw .io(path: name, operation: "read", offset: offset + UInt64(filled), errno: (error as? Errno) ?? .ioError)
            }
            if got == 0 {
                throw .truncated(field: "read", offset: offset, needed: UInt64(buffer.count), available: UInt64(filled))
            }
            filled += got
        }
    }

    /// Writes all of `bytes` at `offset` with `pwrite`.
    ///
    /// Safe: each call gets the unwritten tail of `bytes` (rebased slice).
    static func pwriteFully(_ descriptor: FileDescriptor, name: String, offset: UInt64,
                            _ bytes: UnsafeRawBufferPointer) throws(CrashDumpError) {
        guard offset <= UInt64(Int64.max) - UInt64(bytes.count) else {
            throw .invalidField(field: "file offset", offset: offset, value: offset, reason: "beyond what pwrite can address")
        }
        var done = 0
        while done < bytes.count {
            let wrote: Int
            do {
                wrote = try descriptor.write(toAbsoluteOffset: Int64(offset) + Int64(done),
                                             UnsafeRawBufferPointer(rebasing: bytes[done...]), retryOnInterrupt: true)
            } catch {
                throw .io(path: name, operation: "write", offset: offset + UInt64(done), errno: (error as? Errno) ?? .ioError)
            }
            guard wrote > 0 else {
                throw .io(path: name, operation: "write", offset: offset + UInt64(done), errno: .noSpace)
            }
            done += wrote
        }
    }

    /// Writes `pieces` back to back from `offset` with `pwritev`, at most 1024
    /// (IOV_MAX) at a time.
    ///
    /// Safe: the iovecs point into the caller's buffers, which outlive the call;
    /// after a short write the remaining pieces are rebuilt from the byte count
    /// actually written, so no iovec ever extends past its buffer.
    static func pwritevFully(_ descriptor: FileDescriptor, name: String, offset: UInt64,
                             _ pieces: [UnsafeRawBufferPointer]) throws(CrashDumpError) {
        var pending = pieces.filter { !$0.isEmpty }
        var position = offset
        while !pending.isEmpty {
            let batch = min(pending.count, 1024)
            let total = pending[0..<batch].reduce(0) { $0 + $1.count }
            guard position <= UInt64(Int64.max) - UInt64(total) else {
                throw .invalidField(field: "file offset", offset: position, value: position, reason: "beyond what pwritev can address")
            }
            let vectors = pending[0..<batch].map { iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress), iov_len: $0.count) }
            var wrote = -1
            while wrote < 0 {
                wrote = vectors.withUnsafeBufferPointer { pwritev(descriptor.rawValue, $0.baseAddress, Int32($0.count), off_t(position)) }
                if wrote < 0 && errno != EINTR {
                    throw .io(path: name, operation: "write", offset: position, errno: Errno(rawValue: errno))
                }
            }
            guard wrote > 0 else { throw .io(path: name, operation: "write", offset: position, errno: .noSpace) }
            position += UInt64(wrote)
            // Drop what was written: whole pieces, then the written head of the next.
            var left = wrote
            var index = 0
            while index < batch, left >= pending[index].count {
                left -= pending[index].count
                index += 1
            }
            pending.removeFirst(index)
            if left > 0 { pending[0] = UnsafeRawBufferPointer(rebasing: pending[0][left...]) }
        }
    }

    /// Writes all of `bytes` at the descriptor's position (a pipe, a socket or a
    /// file). `position` is the stream offset of the first byte, for errors; it
    /// advances by what was written even when the write fails part way.
    ///
    /// Safe: each call gets the unwritten tail of `bytes` (rebased slice).
    static func writeFully(_ descriptor: FileDescriptor, name: String, position: inout UInt64,
                           _ bytes: UnsafeRawBufferPointer) throws(CrashDumpError) {
        var done = 0
        while done < bytes.count {
            let wrote: Int
            do {
                wrote = try descriptor.write(UnsafeRawBufferPointer(rebasing: bytes[done...]), retryOnInterrupt: true)
            } catch {
                throw .io(path: name, operation: "write", offset: position, errno: (error as? Errno) ?? .ioError)
            }
            guard wrote > 0 else { throw .io(path: name, operation: "write", offset: position, errno: .noSpace) }
            done += wrote
            position += UInt64(wrote)
        }
    }

    /// Reads from the descriptor's position until `buffer` is full or the input
    /// ends; returns how many bytes arrived (less than `buffer.count` only at the end).
    ///
    /// Safe: each call gets the unfilled tail of `buffer` (rebased slice).
    static func readUpTo(_ descriptor: FileDescriptor, name: String, position: UInt64,
                         into buffer: UnsafeMutableRawBufferPointer) throws(CrashDumpError) -> Int {
        var filled = 0
        while filled < buffer.count {
            let got: Int
            do {
                got = try descriptor.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]), retryOnInterrupt: true)
            } catch {
                throw .io(path: name, operation: "read", offset: position + UInt64(filled), errno: (error as? Errno) ?? .ioError)
            }
            if got == 0 { break }
            filled += got
        }
        return filled
    }
}

extension RawMemory {
    /// `count` little-endian 64-bit words from `bytes` (missing bytes read as zero).
    ///
    /// Safe: whole words are loaded with `loadUnaligned` only where 8 bytes
    /// remain; the last partial word is assembled byte by byte.
    static func littleEndianWords(_ bytes: [UInt8], count: Int) -> [UInt64] {
        var words = [UInt64](repeating: 0, count: max(count, 0))
        bytes.withUnsafeBytes { raw in
            let whole = min(count, raw.count / 8)
            for index in 0..<whole {
                words[index] = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self))
            }
            if whole < count {
                var tail: UInt64 = 0
                var shift: UInt64 = 0
                var position = whole * 8
                while position < raw.count, shift < 64 {
                    tail |= UInt64(raw[position]) << shift
                    position += 1
                    shift += 8
                }
                words[whole] = tail
            }
        }
        return words
    }

    /// The bytes `range` of `words` stored little-endian (past the end: zeros).
    ///
    /// Safe: the copy takes `min(range, stored bytes)` from the words' storage,
    /// pinned by `withUnsafeBytes`; the rest of the result is already zero.
    static func littleEndianBytes(_ words: [UInt64], range: Range<Int>) -> [UInt8] {
        guard range.lowerBound >= 0 else { return [] }
        var result = [UInt8](repeating: 0, count: range.count)
        let little = words.map { $0.littleEndian }
        little.withUnsafeBytes { raw in
            let available = max(0, min(range.upperBound, raw.count) - range.lowerBound)
            guard available > 0 else { return }
            result.withUnsafeMutableBytes { destination in
                if let to = destination.baseAddress, let from = raw.baseAddress {
                    to.copyMemory(from: from + range.lowerBound, byteCount: available)
                }
            }
        }
        return result
    }
}
