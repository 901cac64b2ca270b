import SystemPackage

/// The raw-buffer reads of ElfNotes' core reader.
enum CoreFileAccess {
    /// Reads exactly `count` bytes at `offset`, retrying short reads and EINTR.
    ///
    /// Safe: the buffer pointer lives only inside `withUnsafeMutableBytes`, and each
    /// `pread` is given the slice from `filled` to the end, so it writes at most
    /// `count - filled` bytes into memory the array owns.
    static func pread(_ descriptor: FileDescriptor, path: FilePath, offset: UInt64, count: Int) throws(ElfCoreError) -> [UInt8] {
        guard count > 0 else { return [] }
        guard offset <= UInt64(Int64.max) - UInt64(count) else {
            throw .invalidField(field: "file offset", offset: offset, value: offset, reason: "beyond what pread can address")
        }
        var buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got: Int
            do {
                got = try buffer.withUnsafeMutableBytes { raw in
                    let window = UnsafeMutableRawBufferPointer(rebasing: raw[filled...])
                    return try descriptor.read(fromAbsoluteOffset: Int64(offset) + Int64(filled), into: window,
                                               retryOnInterrupt: true)
                }
            } catch {
                throw .io(path: path.string, operation: "read", offset: offset + UInt64(filled), errno: (error as? Errno) ?? .ioError)
            }
            if got == 0 {
                throw .truncated(field: "read", offset: offset, needed: UInt64(count), available: UInt64(filled))
            }
            filled += got
        }
        return buffer
    }
}
