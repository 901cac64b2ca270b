public import ElfNotes
import SystemPackage

extension CrashDumpError {
    /// The ELF layer's error in CrashDump's terms: I/O and truncation keep their
    /// shape, everything else is wrapped in ``elf(_:)``.
    public init(_ error: ElfCoreError) {
        switch error {
        case .io(let path, let operation, let offset, let errno):
            self = .io(path: path, operation: operation, offset: offset, errno: errno)
        case .truncated(let field, let offset, let needed, let available):
            self = .truncated(field: field, offset: offset, needed: needed, available: available)
        default:
            self = .elf(error)
        }
    }

    /// Whether a write failed because the device is full (ENOSPC): the dump is
    /// incomplete but what was written is still readable.
    public var isNoSpace: Bool {
        if case .io(_, _, _, let errno) = self { return errno == .noSpace }
        return false
    }

    /// Whether a write failed because the reader of a pipe or socket went away
    /// (EPIPE; the process must ignore SIGPIPE to see it).
    public var isBrokenPipe: Bool {
        if case .io(_, _, _, let errno) = self { return errno == .brokenPipe }
        return false
    }
}

extension ElfCoreError {
    /// CrashDump's error in the ELF layer's terms, for ``DumpByteSource``s that
    /// also answer `CoreFileSource.read(at:count:)`.
    init(_ error: CrashDumpError) {
        switch error {
        case .io(let path, let operation, let offset, let errno):
            self = .io(path: path, operation: operation, offset: offset, errno: errno)
        case .truncated(let field, let offset, let needed, let available):
            self = .truncated(field: field, offset: offset, needed: needed, available: available)
        case .elf(let inner):
            self = inner
        case .invalidField(let field, let offset, let value, let reason):
            self = .invalidField(field: field, offset: offset ?? 0, value: value, reason: reason)
        default:
            self = .invalidField(field: "read", offset: 0, value: 0, reason: error.description)
        }
    }
}
