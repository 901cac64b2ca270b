/// What a save did.
public struct SaveSummary: Sendable, Hashable {
    /// Page frames in the input.
    public var pagesPresent: UInt64 = 0
    /// Frames dropped by the page filter (free, cache, user ...).
    public var pagesFiltered: UInt64 = 0
    /// Zero-filled frames dropped or shared (dump level bit 1).
    public var pagesZero: UInt64 = 0
    /// Frames written (raw or compressed).
    public var pagesWritten: UInt64 = 0
    /// Of those, frames stored compressed.
    public var pagesCompressed: UInt64 = 0
    /// Frames that could not be read from the input; written as zero pages and reported.
    public var pagesUnreadable: UInt64 = 0
    /// The first few unreadable frames and why.
    public var unreadableSamples: [String] = []
    /// Bytes of input read in the data pass.
    public var bytesRead: UInt64 = 0
    /// Of those, bytes read in place through a mapping of the input file (no copy).
    public var bytesMapped: UInt64 = 0
    /// The size of the output.
    public var bytesWritten: UInt64 = 0
    /// Page classes seen by the page filter (dump levels 2 and up).
    public var pageClasses: PageClassStatistics?

    /// An empty summary.
    public init() {}

    mutating func noteUnreadable(pfn: UInt64, _ error: CrashDumpError) {
        pagesUnreadable += 1
        if unreadableSamples.count < 8 { unreadableSamples.append("pfn 0x\(String(pfn, radix: 16)): \(error)") }
    }
}
