import KexecCore

/// What one walk of the indirection list found (and, at exec, did).
struct RelocationWalk: Sendable {
    var entries: [IndirectionEntry] = []
    var sources: [SourcePageAssignment] = []
    var indirectionPages: [PhysicalAddress] = []
    var entriesRead = 0
    var pagesCopied = 0
    var fault: RelocationFault?
    /// Reads of pages the walk itself had already written (only when copying).
    var hazards: [InvariantViolation] = []

    var summary: ExecutionSummary {
        ExecutionSummary(entriesRead: entriesRead, pagesCopied: pagesCopied, fault: fault)
    }
}

/// The copy loop of x86_64 `relocate_kernel` (`swap_pages` without the
/// preserve-context swap), run over simulated memory: the destination starts at 0;
/// each word is tested for `IND_DESTINATION` (set the destination), `IND_INDIRECTION`
/// (continue reading at that page), `IND_DONE` (stop) and `IND_SOURCE` (copy one
/// page to the destination and advance it by a page), in that order; words with no
/// flag are skipped. The list pages are read from memory, so whatever the walk
/// overwrites is what it reads next.
enum RelocateKernelModel {
    /// Walks the list that starts with `head`.
    /// - Parameters:
    ///   - head: `image->head`, passed to the copy loop in a register.
    ///   - memory: the simulated memory; changed only when `copying`.
    ///   - copying: whether to copy pages (exec) or only read the list (inspection).
    ///   - entryLimit: the most words a sound list can hold; a walk that reads more
    ///     stops with ``RelocationFault/noEnd(entriesRead:)``.
    static func walk(head: UInt64, memory: inout SimulatedMemory, copying: Bool, entryLimit: Int) -> RelocationWalk {
        let pageSize = memory.pageSize
        var walk = RelocationWalk()
        var destination: PhysicalAddress? = PhysicalAddress(0)
        var pointer: PhysicalAddress?
        var segment = -1
        var written: Set<PhysicalAddress> = []
        var reportedListPages: Set<PhysicalAddress> = []
        var word = head
        walk.entriesRead = 1

        while true {
            let entry = IndirectionEntry(word: word, pageSize: pageSize)
            walk.entries.append(entry)
            switch entry {
            case .destination(let address):
                destination = address
                segment += 1
            case .indirection(let address):
                pointer = address
                walk.indirectionPages.append(address)
            case .done:
                return walk
            case .source(let source):
                guard let target = destination else {
                    walk.fault = .addressOverflow(walk.sources.last?.destination ?? PhysicalAddress(0))
                    return walk
                }
                walk.sources.append(SourcePageAssignment(segment: max(segment, 0), destination: target, source: source))
                if copying {
                    if written.contains(source) {
                        walk.hazards.append(.sourceOverwrittenBeforeCopy(source: source, destination: target))
                    }
                    memory.copy(frame: source, to: target)
                    written.insert(target)
                }
                walk.pagesCopied += 1
                destination = try? target.adding(pageSize.bytes)
            case .other:
                break
            }

            guard walk.entriesRead < entryLimit else {
                walk.fault = .noEnd(entriesRead: walk.entriesRead)
                return walk
            }
            guard let address = pointer else {
                walk.fault = .noIndirectionPage(afterEntries: walk.entriesRead)
                return walk
            }
            let listPage = memory.frameBase(of: address)
            if copying, written.contains(listPage), reportedListPages.insert(listPage).inserted {
                walk.hazards.append(.indirectionPageOverwrittenBeforeRead(page: listPage))
            }
            guard let next = memory.readWord(at: address),
                  let following = try? address.adding(UInt64(IndirectionEntry.byteWidth))
            else {
                walk.fault = .addressOverflow(address)
                return walk
            }
            word = next
            pointer = following
            walk.entriesRead += 1
        }
    }
}
