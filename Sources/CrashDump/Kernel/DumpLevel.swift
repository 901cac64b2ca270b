/// Which pages a dump leaves out, as makedumpfile's `-d` bits: 1 zero pages,
/// 2 cache pages without private data, 4 all cache pages, 8 user process data
/// (anonymous and hugetlbfs pages), 16 free pages. Levels 0...31 combine them
/// with makedumpfile's meaning (31 excludes everything excludable).
///
/// Zero pages are found by content when the page is written, not from the page
/// descriptors: ``zero`` is carried here so a level round-trips, but
/// ``PageClassifier`` never decides it. Hardware-poisoned and logically offline
/// pages are left out at every level, as makedumpfile does.
public struct DumpLevel: OptionSet, Hashable, Sendable, CustomStringConvertible {
    /// The bits, 0...31.
    public let rawValue: UInt8

    /// A level from its bits; bits beyond the five defined ones (above 16) are dropped.
    public init(rawValue: UInt8) { self.rawValue = rawValue & 0x1f }

    /// The level `value` if it is 0...31, else `nil`.
    public init?(level value: Int) {
        guard (0...31).contains(value) else { return nil }
        self.init(rawValue: UInt8(value))
    }

    /// 1: pages filled with zeros (decided by content, by the writer).
    public static let zero = DumpLevel(rawValue: 1)
    /// 2: page cache pages without private data (`DL_EXCLUDE_CACHE`).
    public static let cache = DumpLevel(rawValue: 2)
    /// 4: all page cache pages, private or not (`DL_EXCLUDE_CACHE_PRI`).
    public static let cachePrivate = DumpLevel(rawValue: 4)
    /// 8: user process data: anonymous and hugetlbfs pages (`DL_EXCLUDE_USER_DATA`).
    public static let user = DumpLevel(rawValue: 8)
    /// 16: free pages (`DL_EXCLUDE_FREE`).
    public static let free = DumpLevel(rawValue: 16)
    /// 31: everything excludable.
    public static let all: DumpLevel = [.zero, .cache, .cachePrivate, .user, .free]

    /// The level as makedumpfile's number.
    public var level: Int { Int(rawValue) }

    /// The bits that need page descriptors (everything but ``zero``).
    public var descriptorBits: DumpLevel { subtracting(.zero) }

    /// "31 (zero|cache|cache-private|user|free)".
    public var description: String {
        let names: [(DumpLevel, String)] = [(.zero, "zero"), (.cache, "cache"), (.cachePrivate, "cache-private"),
                                            (.user, "user"), (.free, "free")]
        let set = names.filter { contains($0.0) }.map(\.1)
        return "\(rawValue)" + (set.isEmpty ? "" : " (" + set.joined(separator: "|") + ")")
    }
}
