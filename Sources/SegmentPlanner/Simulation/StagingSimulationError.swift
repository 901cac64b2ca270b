public import KexecCore

/// Why a staging simulation could not run to the end.
public enum StagingSimulationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Segment `segment`'s destination cannot be rounded out to whole pages inside
    /// the 64-bit address space.
    case destinationOutsideAddressSpace(segment: Int, destination: PhysicalRange)
    /// The pool ran out while allocating for `allocating`: `kimage_alloc_page` would
    /// return NULL and `kexec_load` fail with ENOMEM. `framesNeeded` is how many
    /// frames this order of allocation takes in all (found by replaying it with an
    /// endless supply of frames outside every destination), or `nil` when that
    /// replay itself reached the top of the address space.
    case poolExhausted(poolFrames: Int, framesNeeded: Int?, allocating: AllocationPurpose)
    /// The simulator broke one of its own assumptions: a bug in this model, not in
    /// the plan being simulated.
    case modelInconsistency(String)

    public var description: String {
        switch self {
        case .destinationOutsideAddressSpace(let segment, let destination):
            return "segment \(segment): destination \(destination) cannot be rounded out to whole pages below 2^64"
        case .poolExhausted(let poolFrames, let framesNeeded, let purpose):
            let needed = framesNeeded.map { "\($0) frames were needed" } ?? "more frames were needed than can be counted"
            return "the pool of \(poolFrames) free frames ran out while allocating \(purpose); \(needed) (the kernel fails kexec_load with ENOMEM)"
        case .modelInconsistency(let what):
            return "staging simulator inconsistency (a bug in the model): \(what)"
        }
    }
}

/// What a page was being allocated for when the pool ran out.
public enum AllocationPurpose: Hashable, Sendable, CustomStringConvertible {
    /// A source page for `destination`, in segment `segment`.
    case sourcePage(segment: Int, destination: PhysicalAddress)
    /// A new indirection page, while adding an entry for segment `segment`.
    case indirectionPage(whileStagingSegment: Int)

    public var description: String {
        switch self {
        case .sourcePage(let segment, let destination):
            "the source page for destination \(destination) (segment \(segment))"
        case .indirectionPage(let segment):
            "an indirection page (while staging segment \(segment))"
        }
    }
}
