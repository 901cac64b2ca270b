/// What a page frame holds, judged from its page descriptor (`struct page`) the
/// way makedumpfile's `__exclude_unnecessary_pages` judges it. Pages filled with
/// zeros are not a class here: the writer finds them by content.
public enum PageClass: UInt8, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// The dump holds no data for the frame (a hole between RAM ranges).
    case notInDump = 0
    /// The frame's section has no page array, so it cannot be classified.
    case noDescriptor
    /// Kernel memory that fits no other class (text, data, page tables,
    /// reserved, vmalloc backing, ...). Always kept.
    case kernel
    /// A slab page (PG_slab, or the slab page type on 6.10 and later). Always kept.
    case slab
    /// A compound tail page whose head was not found. Always kept.
    case compoundTail
    /// A free page in the buddy allocator (dump level bit 16).
    case free
    /// An unaccepted page of a confidential VM, free but not in the buddy
    /// allocator (6.16 and later; dump level bit 16).
    case unaccepted
    /// A page cache page without private data (dump level bit 2 or 4).
    case cache
    /// A page cache page with private data (buffer heads; dump level bit 4).
    case cachePrivate
    /// An anonymous page of a user process (dump level bit 8).
    case user
    /// A hugetlbfs page (dump level bit 8, counted with user pages by makedumpfile).
    case hugetlb
    /// A hardware-poisoned page: always left out, reading it could fault.
    case hwpoison
    /// A logically offline page (balloon, virtio-mem): always left out.
    case offline

    /// The name used in reports.
    public var description: String {
        switch self {
        case .notInDump: "not in dump"
        case .noDescriptor: "no page descriptor"
        case .kernel: "kernel"
        case .slab: "slab"
        case .compoundTail: "compound tail"
        case .free: "free"
        case .unaccepted: "unaccepted"
        case .cache: "cache"
        case .cachePrivate: "cache private"
        case .user: "user"
        case .hugetlb: "hugetlb"
        case .hwpoison: "hwpoison"
        case .offline: "offline"
        }
    }

    /// The dump level bit that leaves this class out, `nil` for classes that are
    /// always kept, and the empty level for those always left out (hwpoison, offline).
    public var dumpLevelBit: DumpLevel? {
        switch self {
        case .notInDump, .noDescriptor, .kernel, .slab, .compoundTail: nil
        case .free, .unaccepted: .free
        case .cache: .cache
        case .cachePrivate: .cachePrivate
        case .user, .hugetlb: .user
        case .hwpoison, .offline: []
        }
    }
}
