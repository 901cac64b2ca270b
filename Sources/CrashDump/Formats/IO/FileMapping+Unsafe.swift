import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Read-only bytes of a file mapped into memory (`mmap`), unmapped when the last
/// reference goes away.
///
/// The save path maps each chunk of pages it compresses instead of copying it
/// with `pread`, as makedumpfile does: on a file in the page cache (or
/// /proc/vmcore, which maps the old kernel's memory directly) that saves a copy of
/// every byte. If the file shrinks while mapped, touching the lost part raises
/// SIGBUS: mappings are made only inside the size the file had when opened, and
/// a vmcore is not expected to shrink under its reader.
///
/// `@unchecked Sendable`: the bytes are never written and the mapping is removed
/// only in deinit, when no reference (and so no reader) is left.
final class FileMapping: @unchecked Sendable {
    /// The requested bytes.
    let bytes: UnsafeRawBufferPointer
    private let base: UnsafeMutableRawPointer
    private let length: Int

    /// Maps `count` bytes at `offset` of `descriptor`, or nil when the system
    /// refuses (the caller then reads with `pread`).
    ///
    /// Safe: the mapping starts at `offset` rounded down to the system page size
    /// and is `count` plus that difference long; `bytes` is exactly the requested
    /// range inside it. MAP_POPULATE faults the pages in with the call.
    init?(descriptor: FileDescriptor, offset: UInt64, count: Int) {
        let systemPage = UInt64(max(sysconf(Int32(_SC_PAGESIZE)), 4096))
        guard count > 0, offset <= UInt64(Int64.max) - UInt64(count) else { return nil }
        let start = offset / systemPage * systemPage
        let lead = Int(offset - start)
        let total = lead + count
        let mapped = mmap(nil, total, PROT_READ, MAP_PRIVATE | MAP_POPULATE, descriptor.rawValue, off_t(start))
        guard let mapped, mapped != MAP_FAILED else { return nil }
        base = mapped
        length = total
        bytes = UnsafeRawBufferPointer(start: mapped + lead, count: count)
    }

    /// Safe: unmaps exactly what init mapped, once.
    deinit {
        munmap(base, length)
    }
}
