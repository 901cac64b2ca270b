public import KexecCore

/// Places buffers in physical memory for one kexec image, one at a time.
///
/// Normal images go into System RAM minus the crash regions; crash images into the
/// crash region the kernel loads into (the highest one with `crashkernel=X,high`),
/// in place. Every placement is rounded to whole pages *before* the hole is
/// chosen, aligned to at least the page size, kept inside the architecture's
/// destination limit and the optional `--mem-min`/`--mem-max` window, and removed
/// from the free memory, so no two segments can share a page.
///
/// ```swift
/// var planner = try SegmentPlanner(memoryMap: map, kind: .normal, architecture: .x86_64)
/// let kernel = try planner.place(PlacementRequest(role: .kernel, bytes: image, memorySize: initSize,
///                                                 alignment: .mib2, minimum: 0x100000))
/// let plan = try planner.draft(entry: kernel).validated()
/// ```
public struct SegmentPlanner: Sendable {
    /// KEXEC_SEGMENT_MAX.
    public static let segmentLimit = 16

    public let architecture: KexecArchitecture
    public let kind: ImageKind
    public let pageSize: PageSize
    public let memoryMap: MemoryMap
    /// `--mem-min` / `--mem-max`: the window every placement must lie in.
    public let window: PhysicalRange
    /// The segments placed so far, in order.
    public internal(set) var segments: [PlannedSegment] = []
    /// What is still free.
    public private(set) var free: PhysicalRangeSet

    /// - Parameters:
    ///   - memoryMap: the machine's memory (from `/proc/iomem` or a file).
    ///   - kind: normal or crash.
    ///   - architecture: decides the destination limit and default page size.
    ///   - pageSize: the running kernel's page size (default: the architecture's).
    ///   - memoryMinimum: `--mem-min`, the lowest address any segment may use.
    ///   - memoryMaximum: `--mem-max`, the exclusive end no segment may pass.
    /// - Throws: ``PlanningError/noCrashRegion`` for a crash image without a crash region.
    public init(memoryMap: MemoryMap, kind: ImageKind, architecture: KexecArchitecture, pageSize: PageSize? = nil,
                memoryMinimum: PhysicalAddress? = nil, memoryMaximum: PhysicalAddress? = nil) throws(PlanningError) {
        self.memoryMap = memoryMap
        self.kind = kind
        self.architecture = architecture
        self.pageSize = pageSize ?? architecture.defaultPageSize
        // Segments must end strictly below KEXEC_DESTINATION_MEMORY_LIMIT, on a page boundary.
        let top = PhysicalAddress(architecture.destinationMemoryLimit - 1).alignedDown(to: self.pageSize.alignment)
        let bottom = memoryMinimum ?? 0
        let end = max(bottom, min(memoryMaximum ?? top, top))
        window = PhysicalRange(unchecked: bottom, end)
        let draft = PlanDraft(architecture: architecture, kind: kind, pageSize: self.pageSize, entry: 0,
                              segments: [], memoryMap: memoryMap)
        if kind == .crash && memoryMap.loadableCrashRegion == nil { throw .noCrashRegion }
        // Only whole pages are usable.
        let page = self.pageSize.alignment
        free = PhysicalRangeSet(draft.usableMemory.ranges.compactMap { $0.alignedInward(to: page) })
    }

    /// Places one buffer and returns its destination start.
    /// - Throws: ``PlanningError`` naming the buffer, its size and alignment, and the
    ///   largest free range in its window when nothing fits.
    @discardableResult
    public mutating func place(_ request: PlacementRequest) throws(PlanningError) -> PhysicalAddress {
        guard segments.count < Self.segmentLimit else { throw .tooManySegments(limit: Self.segmentLimit) }
        let page = pageSize.alignment
        guard let size = try? PhysicalAddress(max(request.memorySize, 1)).alignedUp(to: page).rawValue else {
            throw .sizeOverflow(role: request.role, size: request.memorySize)
        }
        let alignment = max(request.alignment, page)
        let low = max(request.minimum, window.lowerBound)
        let high = min(request.maximum, window.upperBound)
        guard low < high, let requestWindow = try? PhysicalRange(start: low, end: high) else {
            throw .emptyWindow(role: request.role, minimum: request.minimum, maximum: request.maximum)
        }
        let start: PhysicalAddress
        switch request.strategy {
        case .exact(let address):
            guard address.isAligned(to: alignment) else {
                throw .exactAddressMisaligned(role: request.role, address: address, alignment: alignment)
            }
            guard let range = try? PhysicalRange(start: address, size: size) else {
                throw .sizeOverflow(role: request.role, size: size)
            }
            guard requestWindow.contains(range), free.contains(range) else {
                throw .exactRangeUnavailable(role: request.role, range: range, conflict: conflict(for: range, window: requestWindow))
            }
            start = address
        case .bottomUp, .topDown:
            guard let found = HoleFinder.find(size: size, alignment: alignment, window: requestWindow, in: free,
                                              topDown: request.strategy == .topDown) else {
                throw .noHole(role: request.role, size: size, alignment: alignment, window: requestWindow,
                              largestHole: HoleFinder.largestHole(in: free, window: requestWindow))
            }
            start = found
        }
        // start + size lies inside the window: checked by the hole search or the exact-range check.
        let destination = PhysicalRange(unchecked: start, PhysicalAddress(start.rawValue + size))
        let bytes = Array(request.bytes.prefix(Int(min(UInt64(request.bytes.count), size))))
        guard let segment = try? KexecSegment(buffer: bytes, destination: destination) else {
            throw .sizeOverflow(role: request.role, size: size)
        }
        segments.append(PlannedSegment(role: request.role, segment: segment))
        free.remove(destination)
        return start
    }

    /// Adds segments made elsewhere (e.g. normalised ELF program headers) at their
    /// own addresses, checking each is free.
    /// - Throws: ``PlanningError/exactRangeUnavailable(role:range:conflict:)``.
    public mutating func add(_ segment: KexecSegment, role: SegmentRole) throws(PlanningError) {
        guard segments.count < Self.segmentLimit else { throw .tooManySegments(limit: Self.segmentLimit) }
        guard window.contains(segment.destination), free.contains(segment.destination) else {
            throw .exactRangeUnavailable(role: role, range: segment.destination,
                                         conflict: conflict(for: segment.destination, window: window))
        }
        segments.append(PlannedSegment(role: role, segment: segment))
        free.remove(segment.destination)
    }

    /// The plan so far with its entry point, ready for ``PlanDraft/validated()``.
    public func draft(entry: PhysicalAddress, totalRAMPages: UInt64? = nil) -> PlanDraft {
        PlanDraft(architecture: architecture, kind: kind, pageSize: pageSize, entry: entry, segments: segments,
                  memoryMap: memoryMap, totalRAMPages: totalRAMPages)
    }

    private func conflict(for range: PhysicalRange, window: PhysicalRange) -> String {
        if !window.contains(range) { return "it leaves the allowed window \(window)" }
        if let index = segments.firstIndex(where: { $0.destination.overlaps(range) }) {
            return "it overlaps segment \(index) (\(segments[index].role)) at \(segments[index].destination)"
        }
        return kind == .crash ? "it is not inside the crash region" : "it is not usable System RAM"
    }
}
