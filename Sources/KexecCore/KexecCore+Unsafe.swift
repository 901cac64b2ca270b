import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Every use of raw pointers in KexecCore, each with why it is safe.
enum UnsafeAccess {
    /// Calls `body` with a `kexec_segment` table in ``KexecSegmentLayout/host``
    /// layout whose `buf` fields point at the segments' buffers.
    ///
    /// Safe: each buffer is pinned by `withUnsafeBytes` for the whole nested call, so
    /// every address in the table stays valid until `body` returns; the table bytes
    /// themselves are pinned the same way. Nothing escapes the closures.
    static func withSegmentTable<R>(
        _ segments: [KexecSegment],
        _ body: (UnsafeRawBufferPointer) -> R
    ) throws(KexecSegmentLayoutError) -> R {
        var addresses: [UInt64] = []
        addresses.reserveCapacity(segments.count)
        return try pin(segments, 0, &addresses, body)
    }

    private static func pin<R>(
        _ segments: [KexecSegment], _ index: Int, _ addresses: inout [UInt64],
        _ body: (UnsafeRawBufferPointer) -> R
    ) throws(KexecSegmentLayoutError) -> R {
        guard index < segments.count else {
            let entries = zip(addresses, segments).map { address, segment in
                KexecSegmentTableEntry(buffer: address, bufferSize: segment.bufferSize,
                                       memory: segment.destination.lowerBound.rawValue, memorySize: segment.memorySize)
            }
            let table = try KexecSegmentLayout.host.encode(entries)
            return table.withUnsafeBytes { body($0) }
        }
        let result: Result<R, KexecSegmentLayoutError> = segments[index].buffer.withUnsafeBytes { raw in
            addresses.append(UInt64(UInt(bitPattern: raw.baseAddress)))
            do throws(KexecSegmentLayoutError) {
                return .success(try pin(segments, index + 1, &addresses, body))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Copies `count` bytes from a user-space address taken from a segment table.
    ///
    /// Safe only for tables built by ``withSegmentTable(_:_:)`` in this process and
    /// read while it is still running: ``RecordingKexecSystemCalls`` is called from
    /// inside that closure, so the addresses point at pinned buffers of exactly
    /// `bufsz` bytes. A null address with a non-zero count yields no bytes.
    static func copyUserBuffer(address: UInt64, count: UInt64) -> [UInt8] {
        guard count > 0, let pointer = UnsafeRawPointer(bitPattern: UInt(address)) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: Int(count)))
    }

    /// The path an open descriptor refers to, from /proc/self/fd, or `nil`.
    ///
    /// Safe: readlink writes at most `buffer.count` bytes into the pinned array and
    /// returns how many it wrote.
    static func pathOfDescriptor(_ fd: Int32) -> String? {
        guard fd >= 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBufferPointer { chars -> Int in
            guard let base = chars.baseAddress else { return -1 }
            return readlink("/proc/self/fd/\(fd)", base, chars.count)
        }
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The entry names of a directory, without "." and "..".
    ///
    /// Safe: the dirent pointer readdir returns is read only before the next readdir
    /// call; the stream is closed on every path by `defer`.
    static func directoryEntries(_ directory: FilePath) throws(FileReadError) -> [String] {
        guard let dir = opendir(directory.string) else {
            throw FileReadError(path: directory, operation: "open directory", errno: Errno(rawValue: errno))
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// An environment variable's value.
    ///
    /// Safe: getenv's result is copied into a Swift string before any other call
    /// could change the environment.
    static func environmentValue(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }
}

/// Reads the process environment.
public enum Environment {
    /// The value of `name`, or `nil` when unset.
    public static func value(of name: String) -> String? { UnsafeAccess.environmentValue(name) }
}
