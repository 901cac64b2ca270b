import KexecCore

/// Why staging stopped, inside the model.
enum StagingFailure: Error {
    /// `kimage_alloc_pages` returned NULL.
    case poolExhausted(AllocationPurpose)
    /// The model broke its own assumptions.
    case inconsistency(String)
}

/// Where `image->entry` and `image->last_entry` point: the `head` field of
/// `struct kimage` itself, or a word of an indirection page in simulated memory.
enum EntrySlot: Hashable, Sendable {
    case head
    case word(PhysicalAddress)
}

/// The parts of `struct kimage` that staging a normal (non-crash) image touches,
/// with the kernel's list and allocation functions as methods. Entries live in
/// simulated memory exactly where the kernel would write them.
struct SimulatedKimage: Sendable {
    /// `KIMAGE_NO_DEST` (-1UL): "an impossible destination address", used for
    /// indirection pages.
    static let noDestination = UInt64.max

    let layout: StagingLayout
    var memory: SimulatedMemory
    var allocator: FrameAllocator
    /// `image->head`: the first entry, kept in the kimage structure, not in a page.
    private(set) var head: UInt64 = 0
    /// `image->entry`.
    private var entry: EntrySlot = .head
    /// `image->last_entry`.
    private var lastEntry: EntrySlot = .head
    /// `image->dest_pages`, most recently parked first (`list_add` adds at the head).
    var destPages: [PhysicalAddress] = []
    /// Counters of the code paths taken.
    var statistics = StagingStatistics()
    /// The segment being loaded, to name it when an allocation fails.
    var currentSegment = 0

    init(layout: StagingLayout, memory: SimulatedMemory, allocator: FrameAllocator) {
        self.layout = layout
        self.memory = memory
        self.allocator = allocator
    }

    /// `PAGE_MASK`: the bits of a page-aligned address.
    var pageMask: UInt64 { ~layout.pageSize.alignment.mask }

    /// Entries per indirection page, the last of which chains to the next page.
    var slotsPerPage: Int { Int(layout.pageSize.bytes) / IndirectionEntry.byteWidth }

    // MARK: Reading and writing entries

    func read(_ slot: EntrySlot) throws(StagingFailure) -> UInt64 {
        switch slot {
        case .head:
            return head
        case .word(let address):
            guard let value = memory.readWord(at: address) else {
                throw .inconsistency("list entry at \(address) runs past the address space")
            }
            return value
        }
    }

    mutating func write(_ value: UInt64, to slot: EntrySlot) {
        switch slot {
        case .head: head = value
        case .word(let address): memory.writeWord(value, at: address)
        }
    }

    /// `ptr + 1`. The head is a lone word: stepping past it cannot happen in the
    /// kernel (it only ever holds an `IND_INDIRECTION` entry), so it is an error here.
    func slot(after slot: EntrySlot) throws(StagingFailure) -> EntrySlot {
        switch slot {
        case .head:
            throw .inconsistency("stepping past image->head, which must hold IND_INDIRECTION")
        case .word(let address):
            guard let next = try? address.adding(UInt64(IndirectionEntry.byteWidth)) else {
                throw .inconsistency("list entry after \(address) lies past the address space")
            }
            return .word(next)
        }
    }

    // MARK: The list (kimage_add_entry and friends)

    /// `kimage_add_entry`: appends `value`, starting a new indirection page (allocated
    /// with the no-destination rule) when the current one has only its chaining slot left.
    mutating func addEntry(_ value: UInt64) throws(StagingFailure) {
        if try read(entry) != 0 {
            entry = try slot(after: entry)
        }
        if entry == lastEntry {
            let page = try allocPage(destination: Self.noDestination,
                                     purpose: .indirectionPage(whileStagingSegment: currentSegment))
            write(page.rawValue | IndirectionEntry.indirectionFlag, to: entry)
            statistics.indirectionPages += 1
            entry = .word(page)
            let lastOffset = UInt64((slotsPerPage - 1) * IndirectionEntry.byteWidth)
            guard let last = try? page.adding(lastOffset) else {
                throw .inconsistency("indirection page \(page) ends past the address space")
            }
            lastEntry = .word(last)
        }
        write(value, to: entry)
        entry = try slot(after: entry)
        write(0, to: entry)
    }

    /// `kimage_set_destination`: `destination &= PAGE_MASK`, then an `IND_DESTINATION` entry.
    mutating func setDestination(_ destination: UInt64) throws(StagingFailure) {
        try addEntry((destination & pageMask) | IndirectionEntry.destinationFlag)
    }

    /// `kimage_add_page`: an `IND_SOURCE` entry for the frame at `page`.
    mutating func addPage(_ page: PhysicalAddress) throws(StagingFailure) {
        try addEntry((page.rawValue & pageMask) | IndirectionEntry.sourceFlag)
    }

    /// `kimage_terminate`: `IND_DONE` after the last entry.
    mutating func terminate() throws(StagingFailure) {
        if try read(entry) != 0 {
            entry = try slot(after: entry)
        }
        write(IndirectionEntry.doneFlag, to: entry)
    }
}
