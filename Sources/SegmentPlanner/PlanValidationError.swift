public import KexecCore

/// A rule a plan breaks. Each case names the segments (by index) and ranges involved.
public enum PlanValidationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// More than KEXEC_SEGMENT_MAX (16) segments (kernel: EINVAL).
    case tooManySegments(count: Int, limit: Int)
    /// A destination start or end is not page-aligned (kernel: EADDRNOTAVAIL).
    case misaligned(segment: Int, destination: PhysicalRange, pageSize: PageSize)
    /// A destination ends at or above KEXEC_DESTINATION_MEMORY_LIMIT (kernel: EADDRNOTAVAIL).
    case aboveDestinationLimit(segment: Int, destination: PhysicalRange, limit: UInt64)
    /// Two destinations overlap (kernel: EINVAL).
    case overlap(first: Int, second: Int, firstDestination: PhysicalRange, secondDestination: PhysicalRange)
    /// One segment has more pages than half of RAM (kernel: EINVAL).
    case segmentTooLarge(segment: Int, pages: UInt64, limit: UInt64)
    /// All segments together have more pages than half of RAM (kernel: EINVAL).
    case imageTooLarge(pages: UInt64, limit: UInt64)
    /// A crash image without a crash region.
    case noCrashRegion
    /// A crash segment outside the crash region (kernel: EADDRNOTAVAIL).
    case outsideCrashRegion(segment: Int, destination: PhysicalRange, crashRegion: PhysicalRange)
    /// A crash image's entry point outside the crash region (kexec_load: EADDRNOTAVAIL).
    case entryOutsideCrashRegion(entry: PhysicalAddress, crashRegion: PhysicalRange)
    /// A destination that is not usable RAM (ours: the kernel would copy over
    /// firmware, device memory or the crash region at exec time).
    case outsideUsableMemory(segment: Int, destination: PhysicalRange)
    /// The entry point lies in no segment (ours: the jump would land in garbage).
    case entryOutsideSegments(entry: PhysicalAddress)
    /// A 32-bit architecture's segment table cannot describe the destination (ours).
    case notAddressableByArchitecture(segment: Int, destination: PhysicalRange, architecture: KexecArchitecture)

    /// The errno the kernel would answer for the rules it checks itself; `nil` for ours.
    public var kernelErrno: Int32? {
        switch self {
        case .tooManySegments, .overlap, .segmentTooLarge, .imageTooLarge: 22  // EINVAL
        case .misaligned, .aboveDestinationLimit, .outsideCrashRegion, .entryOutsideCrashRegion: 99  // EADDRNOTAVAIL
        case .noCrashRegion: 12  // ENOMEM: kexec_load finds no crash region to load into
        case .outsideUsableMemory, .entryOutsideSegments, .notAddressableByArchitecture: nil
        }
    }

    public var description: String {
        switch self {
        case .tooManySegments(let count, let limit):
            "the plan has \(count) segments; the kernel accepts at most \(limit)"
        case .misaligned(let segment, let destination, let pageSize):
            "segment \(segment) at \(destination) is not aligned to the \(pageSize) page size"
        case .aboveDestinationLimit(let segment, let destination, let limit):
            "segment \(segment) at \(destination) ends above the kernel's destination limit 0x\(String(limit, radix: 16))"
        case .overlap(let first, let second, let a, let b):
            "segments \(first) \(a) and \(second) \(b) overlap"
        case .segmentTooLarge(let segment, let pages, let limit):
            "segment \(segment) has \(pages) pages, more than half of RAM (\(limit) pages)"
        case .imageTooLarge(let pages, let limit):
            "the segments total \(pages) pages, more than half of RAM (\(limit) pages)"
        case .noCrashRegion:
            "a crash image needs a crash region (boot with crashkernel=)"
        case .outsideCrashRegion(let segment, let destination, let region):
            "crash segment \(segment) at \(destination) is not inside the crash region \(region)"
        case .entryOutsideCrashRegion(let entry, let region):
            "the entry point \(entry) of a crash image is not inside the crash region \(region)"
        case .outsideUsableMemory(let segment, let destination):
            "segment \(segment) at \(destination) is not inside usable System RAM"
        case .entryOutsideSegments(let entry):
            "the entry point \(entry) lies in no segment"
        case .notAddressableByArchitecture(let segment, let destination, let architecture):
            "segment \(segment) at \(destination) cannot be described by \(architecture)'s 32-bit kexec_segment"
        }
    }
}
