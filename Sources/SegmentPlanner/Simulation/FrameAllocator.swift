import KexecCore

/// The simulated page allocator (`alloc_pages(gfp, 0)`): hands out the pool's frames
/// in a fixed order, each once. Pages the kernel frees again (`dest_pages` after
/// loading) never come back during staging, so the model needs no free operation.
struct FrameAllocator: Sendable {
    private let frames: [PhysicalAddress]
    private var nextIndex = 0
    /// In counting mode, where invented frames start once the pool is empty.
    private var inventedBase: PhysicalAddress?
    private let pageSize: PageSize
    /// How many frames were handed out.
    private(set) var taken = 0

    /// An allocator that hands out `frames` in order and then fails.
    init(frames: [PhysicalAddress], pageSize: PageSize) {
        self.frames = frames
        self.pageSize = pageSize
    }

    /// An allocator that hands out `frames` in order and then invents frames above
    /// `highestUsed`, which lie outside every destination: used to count how many
    /// frames an order of allocation needs in all.
    init(countingFrom frames: [PhysicalAddress], above highestUsed: PhysicalAddress, pageSize: PageSize) {
        self.init(frames: frames, pageSize: pageSize)
        inventedBase = try? highestUsed.adding(pageSize.bytes)
    }

    /// The number of frames in the pool.
    var poolSize: Int { frames.count }

    /// The next frame, or `nil` when the pool is empty (the kernel's NULL page).
    mutating func take() -> PhysicalAddress? {
        if nextIndex < frames.count {
            defer { nextIndex += 1 }
            taken += 1
            return frames[nextIndex]
        }
        guard let base = inventedBase else { return nil }
        inventedBase = try? base.adding(pageSize.bytes)
        taken += 1
        return base
    }
}
