/// A kernel command line as a list of words, split the way the kernel's
/// `next_arg` splits it: on spaces, except inside double quotes.
public struct KernelCommandLine: Hashable, Sendable, CustomStringConvertible {
    /// The words, quotes kept.
    public var words: [String]

    public init(words: [String]) { self.words = words }

    /// Splits `text` (trailing newline ignored).
    public init(_ text: String) {
        var words: [String] = []
        var current = ""
        var quoted = false
        for character in text.trimmingTrailingNewlines() {
            if character == "\"" { quoted.toggle() }
            if (character == " " || character == "\t" || character == "\n") && !quoted {
                if !current.isEmpty { words.append(current) }
                current = ""
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { words.append(current) }
        self.words = words
    }

    /// The parameter name of a word: the text before the first `=`.
    public static func name(of word: String) -> Substring {
        word.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first ?? Substring(word)
    }

    /// Drops every word whose name is `name` (e.g. "crashkernel", "BOOT_IMAGE").
    public func removing(_ name: String) -> KernelCommandLine {
        KernelCommandLine(words: words.filter { Self.name(of: $0) != name })
    }

    /// The value of the last word named `name`, if any.
    public func value(of name: String) -> String? {
        for word in words.reversed() where Self.name(of: word) == name {
            return word.firstIndex(of: "=").map { String(word[word.index(after: $0)...]) } ?? ""
        }
        return nil
    }

    /// The running kernel's command line made fit to pass on, as kexec-tools'
    /// `--reuse-cmdline` does: without `BOOT_IMAGE=`, and for a crash kernel without
    /// `crashkernel=` (a capture kernel must not reserve memory again).
    public func reused(for kind: ImageKind) -> KernelCommandLine {
        let line = removing("BOOT_IMAGE")
        return kind == .crash ? line.removing("crashkernel") : line
    }

    /// The words joined by single spaces.
    public var description: String { words.joined(separator: " ") }
}
