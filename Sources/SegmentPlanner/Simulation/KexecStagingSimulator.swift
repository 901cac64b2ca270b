public import KexecCore

/// A model of how the Linux kernel stages a normal (non-crash) `kexec_load` image and
/// of the copy loop that moves it into place at exec, over sparse simulated memory.
///
/// Staging follows `kernel/kexec_core.c` (`kimage_load_normal_segment`,
/// `kimage_alloc_page`, `kimage_dst_used`, `kimage_add_entry`, `kimage_terminate`);
/// exec follows the x86_64 `relocate_kernel` copy loop. Segments are taken as given:
/// nothing here applies `sanity_check_segment_list`, so plans the kernel would refuse
/// (a sub-page `mem` or `memsz`, shared destination pages) can be run to show what
/// its page-alignment rule protects against.
///
/// Not modelled: the control code page and swap page `kimage_alloc_init` takes
/// first (they avoid every destination, so they only shrink the pool), crash
/// images, CMA-backed segments of `kexec_file_load`, and 32-bit highmem.
public enum KexecStagingSimulator {
    /// Stages `segments`, executes the copy loop and checks the result.
    ///
    /// - Parameters:
    ///   - segments: the segments in the order passed to `kexec_load`.
    ///   - pageSize: the running kernel's page size.
    ///   - order: the order in which the allocator hands out free frames.
    ///   - pool: the free frames.
    ///   - byteOrder: how list entries are stored (the kernel's native order).
    /// - Returns: the staged list, allocation counts, broken invariants and the
    ///   first differing byte of every segment that did not come out as planned.
    /// - Throws: ``StagingSimulationError/poolExhausted(poolFrames:framesNeeded:allocating:)``
    ///   when the pool runs out (`kexec_load` fails with ENOMEM),
    ///   ``StagingSimulationError/destinationOutsideAddressSpace(segment:destination:)``
    ///   for a destination that cannot be rounded to pages.
    public static func run(
        segments: [KexecSegment],
        pageSize: PageSize,
        order: SourcePageOrder,
        pool: SourcePagePool = .automatic,
        byteOrder: ByteOrder = .little
    ) throws(StagingSimulationError) -> SimulationReport {
        let layout = try StagingLayout(segments: segments, pageSize: pageSize)
        let frames = order.arrange(pool.frames(layout: layout), layout: layout)
        let memory = SimulatedMemory(pageSize: pageSize, byteOrder: byteOrder)

        var image = SimulatedKimage(layout: layout, memory: memory,
                                    allocator: FrameAllocator(frames: frames, pageSize: pageSize))
        do {
            try stage(&image)
        } catch {
            switch error {
            case .poolExhausted(let purpose):
                throw .poolExhausted(poolFrames: frames.count,
                                     framesNeeded: framesNeeded(frames: frames, layout: layout, memory: memory),
                                     allocating: purpose)
            case .inconsistency(let what):
                throw .modelInconsistency(what)
            }
        }

        var statistics = image.statistics
        statistics.poolFrames = frames.count
        statistics.framesTaken = image.allocator.taken
        statistics.parkedPagesLeft = image.destPages.count

        var finalMemory = image.memory
        let entryLimit = (statistics.indirectionPages + 1) * (Int(pageSize.bytes) / IndirectionEntry.byteWidth) + 1
        var inspection = finalMemory
        let staged = RelocateKernelModel.walk(head: image.head, memory: &inspection, copying: false, entryLimit: entryLimit)
        statistics.sourcePages = staged.sources.count
        statistics.sourcePagesInPlace = staged.sources.filter(\.isInPlace).count

        let exec = RelocateKernelModel.walk(head: image.head, memory: &finalMemory, copying: true, entryLimit: entryLimit)
        return SimulationReport(
            pageSize: pageSize,
            order: order,
            segments: segments,
            indirectionList: staged.entries,
            sourcePages: staged.sources,
            indirectionPages: staged.indirectionPages,
            statistics: statistics,
            execution: exec.summary,
            violations: InvariantChecker.violations(of: staged, layout: layout) + exec.hazards,
            mismatches: ImageVerifier.mismatches(of: segments, in: finalMemory),
            memory: finalMemory
        )
    }

    /// `kimage_load_segment` for every segment in order, then `kimage_terminate`.
    private static func stage(_ image: inout SimulatedKimage) throws(StagingFailure) {
        for index in image.layout.segments.indices {
            try image.loadNormalSegment(index)
        }
        try image.terminate()
    }

    /// Replays staging with the same frames followed by an endless supply above every
    /// destination and pool frame, and counts the frames it takes.
    private static func framesNeeded(frames: [PhysicalAddress], layout: StagingLayout, memory: SimulatedMemory) -> Int? {
        let highest = max(frames.max() ?? PhysicalAddress(0), layout.destinationPages.last ?? PhysicalAddress(0))
        let allocator = FrameAllocator(countingFrom: frames, above: highest, pageSize: layout.pageSize)
        var replay = SimulatedKimage(layout: layout, memory: memory, allocator: allocator)
        do {
            try stage(&replay)
        } catch {
            return nil
        }
        return replay.allocator.taken
    }
}
