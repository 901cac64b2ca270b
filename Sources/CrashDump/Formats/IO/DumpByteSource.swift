public import ElfNotes

/// A ``CoreFileSource`` that can also read straight into caller memory, so the
/// dump readers move page data from the file to the destination with one copy
/// (or none) and one system call per contiguous run.
///
/// ``DumpFile`` and ``FlattenedFile`` conform; any other `CoreFileSource` (an
/// `InMemoryCoreSource`, ElfNotes' `FileCoreSource`) is adapted with
/// ``adaptedForDumpReading(_:)``, which copies through `read(at:count:)`.
public protocol DumpByteSource: CoreFileSource {
    /// Fills `buffer` with the bytes at `offset`.
    /// - Throws: ``CrashDumpError/truncated(field:offset:needed:available:)`` when
    ///   the source ends first, ``CrashDumpError/io(path:operation:offset:errno:)``
    ///   when the read fails.
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(CrashDumpError)
}

/// A byte source whose bytes can also be mapped in place (a file).
protocol MappableByteSource {
    /// `count` bytes at `offset` mapped read-only, or nil when they cannot be
    /// (outside the source, or the system refuses).
    func map(at offset: UInt64, count: Int) -> FileMapping?
}

/// `source` as a ``DumpByteSource``: itself when it is one, else a wrapper that
/// copies through `read(at:count:)`.
public func adaptedForDumpReading(_ source: any CoreFileSource) -> any DumpByteSource {
    if let direct = source as? any DumpByteSource { return direct }
    return CopyingByteSource(base: source)
}

/// Reads any `CoreFileSource` into caller buffers by copying.
struct CopyingByteSource: DumpByteSource {
    let base: any CoreFileSource

    var name: String { base.name }
    var size: UInt64 { base.size }

    func read(at offset: UInt64, count: Int) throws(ElfCoreError) -> [UInt8] {
        try base.read(at: offset, count: count)
    }

    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(CrashDumpError) {
        let bytes: [UInt8]
        do {
            bytes = try base.read(at: offset, count: buffer.count)
        } catch {
            throw CrashDumpError(error)
        }
        RawMemory.copy(bytes[...], into: buffer, at: 0)
    }
}

extension DumpByteSource {
    /// Exactly `count` bytes at `offset` as an array, for headers and tables.
    /// - Throws: as ``read(at:into:)``, and ``CrashDumpError/invalidField(field:offset:value:reason:)``
    ///   for a negative count.
    func bytes(at offset: UInt64, count: Int, field: String) throws(CrashDumpError) -> [UInt8] {
        guard count >= 0 else {
            throw .invalidField(field: field, offset: offset, value: 0, reason: "negative length")
        }
        try checkExtent(field: field, offset: offset, count: UInt64(count))
        var result = [UInt8](repeating: 0, count: count)
        try RawMemory.fill(&result) { buffer throws(CrashDumpError) in try read(at: offset, into: buffer) }
        return result
    }

    /// Throws ``CrashDumpError/truncated(field:offset:needed:available:)`` unless
    /// `[offset, offset + count)` lies inside the source.
    func checkExtent(field: String, offset: UInt64, count: UInt64) throws(CrashDumpError) {
        let (end, overflow) = offset.addingReportingOverflow(count)
        guard !overflow, end <= size else {
            throw .truncated(field: field, offset: offset, needed: count, available: offset <= size ? size - offset : 0)
        }
    }
}
