public import KexecCore

/// A segment of a plan: the bytes, the destination, and what it is.
public struct PlannedSegment: Hashable, Sendable {
    /// What the segment holds.
    public var role: SegmentRole
    /// The bytes and destination handed to the kernel.
    public var segment: KexecSegment

    public init(role: SegmentRole, segment: KexecSegment) {
        self.role = role
        self.segment = segment
    }

    /// The destination range (`mem`, `memsz`).
    public var destination: PhysicalRange { segment.destination }
}

/// A plan before validation: everything a `kexec_load` needs, plus what the
/// validator must know about the machine.
public struct PlanDraft: Hashable, Sendable {
    public var architecture: KexecArchitecture
    public var kind: ImageKind
    public var pageSize: PageSize
    /// Where the new image starts executing (purgatory or the kernel).
    public var entry: PhysicalAddress
    public var segments: [PlannedSegment]
    /// The machine's memory.
    public var memoryMap: MemoryMap
    /// The kernel's `totalram_pages()` in pages; `nil` uses the System RAM of the map
    /// (an over-estimate: the kernel does not count memory it reserved at boot).
    public var totalRAMPages: UInt64?

    public init(architecture: KexecArchitecture, kind: ImageKind, pageSize: PageSize, entry: PhysicalAddress,
                segments: [PlannedSegment], memoryMap: MemoryMap, totalRAMPages: UInt64? = nil) {
        self.architecture = architecture
        self.kind = kind
        self.pageSize = pageSize
        self.entry = entry
        self.segments = segments
        self.memoryMap = memoryMap
        self.totalRAMPages = totalRAMPages
    }

    /// The memory segments may use: for a normal image System RAM minus the crash
    /// regions; for a crash image the System RAM inside the crash region the kernel
    /// loads into (firmware may keep ranges inside it, e.g. RTAS on PowerPC).
    public var usableMemory: PhysicalRangeSet {
        switch kind {
        case .normal:
            return memoryMap.systemRAM.subtracting(PhysicalRangeSet(memoryMap.crashRegions))
        case .crash:
            guard let region = memoryMap.loadableCrashRegion else { return PhysicalRangeSet() }
            return memoryMap.systemRAM.intersection(PhysicalRangeSet([region]))
        }
    }
}
