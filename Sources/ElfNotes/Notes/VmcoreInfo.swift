/// The crashed kernel's description of itself: the "VMCOREINFO" note (type 0)
/// whose descriptor is text, one `KEY=value` line each (kernel/vmcore_info.c and
/// each architecture's `arch_crash_save_vmcoreinfo`).
///
/// Lines are kept in order, unknown keys included, so ``text`` reproduces what was
/// parsed byte for byte. Parsing never fails: a line without `=` (a hand-edited
/// file, or the last line cut off when the kernel's 4 KiB buffer filled up) is
/// kept as ``Line/raw(_:)`` and listed in ``malformedLines``; ``validate()`` turns
/// the first problem into a ``VmcoreInfoError`` naming the line. A dump tool can
/// so read a slightly damaged VMCOREINFO and still report what is wrong.
public struct VmcoreInfo: Hashable, Sendable {
    /// One line of the text.
    public enum Line: Hashable, Sendable {
        /// `key=value`, split at the first `=`.
        case entry(key: String, value: String)
        /// A line without `=`, kept verbatim.
        case raw(String)
    }

    /// The lines in order.
    public private(set) var lines: [Line]
    /// Whether the text ended with a newline (the kernel's always does).
    public var endsWithNewline: Bool

    /// An empty VMCOREINFO.
    public init() {
        lines = []
        endsWithNewline = true
    }

    /// Parses VMCOREINFO text. Never fails; see ``malformedLines`` and ``validate()``.
    public init(parsing text: String) {
        var pieces = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        endsWithNewline = text.isEmpty || text.hasSuffix("\n")
        if pieces.last == "" { pieces.removeLast() }
        lines = pieces.map { line in
            guard let equals = line.firstIndex(of: "=") else { return .raw(line) }
            return .entry(key: String(line[..<equals]), value: String(line[line.index(after: equals)...]))
        }
    }

    /// Parses a VMCOREINFO note descriptor: UTF-8 text, trailing NUL bytes ignored.
    public init(descriptor: [UInt8]) {
        var end = descriptor.count
        while end > 0 && descriptor[end - 1] == 0 { end -= 1 }
        self.init(parsing: String(decoding: descriptor[..<end], as: UTF8.self))
    }

    /// Parses `note`, which must be named "VMCOREINFO" with type 0.
    /// - Throws: ``VmcoreInfoError/notVmcoreinfo(name:type:)``.
    public init(note: ElfNote) throws(VmcoreInfoError) {
        guard note.isNote(name: ElfNote.Name.vmcoreinfo, type: ElfNote.NoteType.vmcoreinfo) else {
            throw .notVmcoreinfo(name: note.name, type: note.type)
        }
        self.init(descriptor: note.descriptor)
    }

    /// The text: every line followed by a newline (the last one only if
    /// ``endsWithNewline``).
    public var text: String {
        var result = lines.map { line -> String in
            switch line {
            case .entry(let key, let value): "\(key)=\(value)"
            case .raw(let text): text
            }
        }.joined(separator: "\n")
        if endsWithNewline && !lines.isEmpty { result += "\n" }
        return result
    }

    /// The note descriptor: ``text`` as UTF-8, no NUL (as the kernel writes it).
    public var descriptor: [UInt8] { Array(text.utf8) }

    /// The "VMCOREINFO" note, type 0.
    public var note: ElfNote {
        ElfNote(name: ElfNote.Name.vmcoreinfo, type: ElfNote.NoteType.vmcoreinfo, descriptor: descriptor)
    }

    /// The `key=value` entries in order.
    public var entries: [(key: String, value: String)] {
        lines.compactMap { line in
            if case .entry(let key, let value) = line { return (key, value) }
            return nil
        }
    }

    /// The value of the first line with `key`, or `nil`. Setting replaces that
    /// line's value in place, appends a new line when there is none, and removes
    /// the first such line when set to `nil`.
    public subscript(key: String) -> String? {
        get {
            for case .entry(key, let value) in lines { return value }
            return nil
        }
        set {
            let index = lines.firstIndex { if case .entry(key, _) = $0 { true } else { false } }
            switch (index, newValue) {
            case (let index?, let value?): lines[index] = .entry(key: key, value: value)
            case (let index?, nil): lines.remove(at: index)
            case (nil, let value?): lines.append(.entry(key: key, value: value))
            case (nil, nil): break
            }
        }
    }

    /// Appends a line verbatim (a `key=value` line or a raw one), as a producer
    /// that writes repeated keys would.
    public mutating func append(_ line: Line) {
        lines.append(line)
    }

    /// The lines without `=`, with their 1-based line numbers.
    public var malformedLines: [(line: Int, text: String)] {
        lines.enumerated().compactMap { index, line in
            if case .raw(let text) = line { return (index + 1, text) }
            return nil
        }
    }
}
