public import KexecCore

/// A buffer the planner could not place, or a plan it could not start.
public enum PlanningError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Nothing in the window fits `size` bytes at `alignment`.
    case noHole(role: SegmentRole, size: UInt64, alignment: Alignment, window: PhysicalRange, largestHole: PhysicalRange?)
    /// An exact placement overlaps memory that is not free.
    case exactRangeUnavailable(role: SegmentRole, range: PhysicalRange, conflict: String)
    /// An exact placement is not aligned as requested.
    case exactAddressMisaligned(role: SegmentRole, address: PhysicalAddress, alignment: Alignment)
    /// A crash image was requested but the memory map has no crash region.
    case noCrashRegion
    /// The window (min/max, --mem-min/--mem-max, the architecture's limit) is empty.
    case emptyWindow(role: SegmentRole, minimum: PhysicalAddress, maximum: PhysicalAddress)
    /// The request's size overflows the address space once rounded to pages.
    case sizeOverflow(role: SegmentRole, size: UInt64)
    /// More than KEXEC_SEGMENT_MAX segments.
    case tooManySegments(limit: Int)

    public var description: String {
        func mib(_ value: UInt64) -> String {
            value >= 1 << 20 ? "\(value >> 20) MiB" : "\(value) bytes"
        }
        switch self {
        case .noHole(let role, let size, let alignment, let window, let largest):
            let hole = largest.map { "the largest free range there is \($0) (\(mib($0.size)))" } ?? "no memory there is free"
            return "could not find a free area of memory for the \(role): \(mib(size)) (0x\(String(size, radix: 16)) bytes) aligned to \(alignment) within \(window); \(hole)"
        case .exactRangeUnavailable(let role, let range, let conflict):
            return "the \(role) must go exactly at \(range), but that memory is not free: \(conflict)"
        case .exactAddressMisaligned(let role, let address, let alignment):
            return "the \(role) must go exactly at \(address), which is not aligned to \(alignment)"
        case .noCrashRegion:
            return "no crash kernel region: boot the running kernel with crashkernel= to reserve one"
        case .emptyWindow(let role, let minimum, let maximum):
            return "no memory may hold the \(role): the allowed window \(minimum)..\(maximum) is empty"
        case .sizeOverflow(let role, let size):
            return "the \(role) of 0x\(String(size, radix: 16)) bytes does not fit the address space"
        case .tooManySegments(let limit):
            return "a kexec image holds at most \(limit) segments"
        }
    }
}
