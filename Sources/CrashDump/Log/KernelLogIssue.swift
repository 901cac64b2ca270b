/// Something wrong with a log ring that did not stop the reader: a record
/// skipped, a text cut short, a walk that stopped. Each names where.
public enum KernelLogIssue: Hashable, Sendable, CustomStringConvertible {
    /// The record at `position` (a descriptor id, or a byte index into `log_buf`)
    /// could not be read and was skipped.
    case recordUnreadable(position: UInt64, error: CrashDumpError)
    /// The record at `position` declares `declared` bytes of text, but only
    /// `available` lie inside its block or buffer; the rest was left out.
    case textTruncated(position: UInt64, declared: UInt64, available: UInt64)
    /// The walk through the records stopped at `position`: what follows cannot
    /// be found (a second wrap, an index outside the buffer, a record too short).
    case walkStopped(position: UInt64, reason: String)
    /// The descriptor ids from `tailID` to `headID` span more than the ring's
    /// `count` descriptors; the descriptors were taken in id order instead.
    case idSpanExceedsRing(tailID: UInt64, headID: UInt64, count: UInt64)

    /// Whether the issue means text of the log is missing from the result.
    public var losesText: Bool {
        switch self {
        case .recordUnreadable, .walkStopped: true
        case .textTruncated, .idSpanExceedsRing: false
        }
    }

    /// What happened, naming the record.
    public var description: String {
        switch self {
        case .recordUnreadable(let position, let error):
            "log record \(position) skipped: \(error)"
        case .textTruncated(let position, let declared, let available):
            "log record \(position) declares \(declared) bytes of text, \(available) are in its block"
        case .walkStopped(let position, let reason):
            "log walk stopped at \(position): \(reason)"
        case .idSpanExceedsRing(let tailID, let headID, let count):
            "descriptor ids \(tailID)...\(headID) span more than the ring's \(count) descriptors"
        }
    }
}
