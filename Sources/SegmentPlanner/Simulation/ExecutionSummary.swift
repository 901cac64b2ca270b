public import KexecCore

/// What the simulated copy loop (`relocate_kernel`) did.
public struct ExecutionSummary: Hashable, Sendable, CustomStringConvertible {
    /// List words read, including the head.
    public let entriesRead: Int
    /// Pages copied, one per `IND_SOURCE` entry reached.
    public let pagesCopied: Int
    /// Why the walk stopped before `IND_DONE`, if it did.
    public let fault: RelocationFault?

    /// Whether the walk reached `IND_DONE`.
    public var reachedDone: Bool { fault == nil }

    public var description: String {
        if let fault {
            return "copy loop stopped after \(entriesRead) entries and \(pagesCopied) pages: \(fault)"
        }
        return "copy loop copied \(pagesCopied) pages and reached IND_DONE after \(entriesRead) entries"
    }
}

/// Why the copy loop could not reach `IND_DONE`.
public enum RelocationFault: Hashable, Sendable, CustomStringConvertible {
    /// The walk needed the next word but no `IND_INDIRECTION` had named a page to
    /// read it from (`%rbx` undefined): the list must start with one.
    case noIndirectionPage(afterEntries: Int)
    /// No `IND_DONE` within `entriesRead` words: the list loops or is corrupt.
    case noEnd(entriesRead: Int)
    /// A destination or list pointer passed the top of the address space after `address`.
    case addressOverflow(PhysicalAddress)

    public var description: String {
        switch self {
        case .noIndirectionPage(let count): "entry \(count) has no indirection page to be read from"
        case .noEnd(let count): "no IND_DONE within \(count) entries"
        case .addressOverflow(let address): "address arithmetic passed 2^64 after \(address)"
        }
    }
}
