/// What happened while the image was staged, counted as the kernel's code paths run.
public struct StagingStatistics: Hashable, Sendable, CustomStringConvertible {
    /// The number of frames in the pool.
    public internal(set) var poolFrames = 0
    /// The frames the allocator handed out (`alloc_pages` calls that succeeded).
    public internal(set) var framesTaken = 0
    /// `IND_SOURCE` entries in the finished list.
    public internal(set) var sourcePages = 0
    /// Source pages that are their own destination (copied onto themselves at exec).
    public internal(set) var sourcePagesInPlace = 0
    /// Indirection pages the list occupies.
    public internal(set) var indirectionPages = 0
    /// Times `kimage_alloc_page` got a destination page whose destination already had
    /// a source (`kimage_dst_used`), copied the old source into it and took the old
    /// page instead.
    public internal(set) var swaps = 0
    /// Times a destination page with no source yet was put on `dest_pages`.
    public internal(set) var parks = 0
    /// Times a page on `dest_pages` was taken back because it was the requested destination.
    public internal(set) var parkedPagesReused = 0
    /// Pages still on `dest_pages` after loading (the kernel frees them).
    public internal(set) var parkedPagesLeft = 0

    public var description: String {
        "\(framesTaken) of \(poolFrames) frames taken; \(sourcePages) source pages (\(sourcePagesInPlace) in place), "
            + "\(indirectionPages) indirection page\(indirectionPages == 1 ? "" : "s"); "
            + "\(swaps) swap\(swaps == 1 ? "" : "s"), \(parks) parked, \(parkedPagesReused) taken back from dest_pages, "
            + "\(parkedPagesLeft) left there"
    }
}
