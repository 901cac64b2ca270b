/// Bounds the blob parser enforces so hostile input costs bounded time and memory.
public struct DeviceTreeParseLimits: Hashable, Sendable {
    /// The largest `totalsize` accepted (default 64 MiB; pseries trees are tens of KiB).
    public var maximumTotalSize: Int
    /// The deepest node nesting accepted, the root at depth 1 (default 64, the
    /// kernel's `FDT_MAX_DEPTH`).
    public var maximumDepth: Int
    /// The most structure-block tokens read, NOPs included (default 4 Mi).
    public var maximumTokens: Int
    /// The most memory reservation entries read (default 65,536).
    public var maximumReservations: Int
    /// The longest node or property name accepted, in bytes (default 1,024; the
    /// devicetree specification allows 31). Bounds the search for each name's NUL.
    public var maximumNameLength: Int

    /// Limits with the given bounds.
    public init(maximumTotalSize: Int = 64 << 20, maximumDepth: Int = 64, maximumTokens: Int = 4 << 20,
                maximumReservations: Int = 65_536, maximumNameLength: Int = 1024) {
        self.maximumTotalSize = maximumTotalSize
        self.maximumDepth = maximumDepth
        self.maximumTokens = maximumTokens
        self.maximumReservations = maximumReservations
        self.maximumNameLength = maximumNameLength
    }

    /// The defaults.
    public static let `default` = DeviceTreeParseLimits()
}
