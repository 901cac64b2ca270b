/// Turns progress snapshots into status text for a terminal or a log.
///
/// On a terminal the line is redrawn in place (`\r`); elsewhere - a serial
/// console, a pipe, a file - complete newline-terminated lines are printed, at
/// most one per `step` percent or per `quietPeriod`, because such consoles are
/// line-buffered and a `\r` line would show nothing until the end.
public struct SaveProgressPrinter: Sendable {
    /// Whether the output is a terminal.
    public let isTerminal: Bool
    /// The prefix of each line (e.g. "vmcore-dump: ").
    public let prefix: String
    /// Percent between two lines when not on a terminal.
    public let step: Int
    /// The longest silence when not on a terminal.
    public let quietPeriod: Duration
    private var lastPercent = -1
    private var lastTime: Duration = .zero

    /// A printer for a terminal or for line-buffered output.
    public init(isTerminal: Bool, prefix: String = "", step: Int = 10, quietPeriod: Duration = .seconds(10)) {
        self.isTerminal = isTerminal
        self.prefix = prefix
        self.step = max(step, 1)
        self.quietPeriod = quietPeriod
    }

    /// The text to write for `progress`, or nil to stay quiet.
    public mutating func text(for progress: SaveProgress, final: Bool = false) -> String? {
        let percent = Int((progress.fraction * 100).rounded(.down))
        if isTerminal {
            return "\r\(prefix)\(progress.line)\u{1b}[K" + (final ? "\n" : "")
        }
        let due = percent / step > lastPercent / step || progress.elapsed - lastTime >= quietPeriod
        guard final || due else { return nil }
        guard !(final && percent == lastPercent && progress.elapsed == lastTime) else { return nil }
        lastPercent = percent
        lastTime = progress.elapsed
        return "\(prefix)\(progress.line)\n"
    }
}
