/// How far a save has come, handed to the progress callback.
public struct SaveProgress: Sendable, Hashable {
    /// Pages processed so far (written, or dropped as zero) in the data pass.
    public var pagesDone: UInt64
    /// Pages the data pass will process.
    public var pagesTotal: UInt64
    /// Bytes of the input read so far.
    public var bytesRead: UInt64
    /// Bytes written to the output so far.
    public var bytesWritten: UInt64
    /// Time since the save began.
    public var elapsed: Duration

    /// A snapshot.
    public init(pagesDone: UInt64, pagesTotal: UInt64, bytesRead: UInt64, bytesWritten: UInt64, elapsed: Duration) {
        self.pagesDone = pagesDone
        self.pagesTotal = pagesTotal
        self.bytesRead = bytesRead
        self.bytesWritten = bytesWritten
        self.elapsed = elapsed
    }

    /// The fraction done, 0...1.
    public var fraction: Double {
        pagesTotal == 0 ? 1 : min(Double(pagesDone) / Double(pagesTotal), 1)
    }

    /// The input read rate in MB/s (10^6 bytes per second).
    public var megabytesPerSecond: Double {
        let seconds = elapsed.secondsDouble
        return seconds > 0 ? Double(bytesRead) / seconds / 1e6 : 0
    }

    /// The estimated time left, from the rate so far; nil before anything was done.
    public var remaining: Duration? {
        guard pagesDone > 0, pagesDone < pagesTotal else { return pagesDone >= pagesTotal ? .zero : nil }
        let seconds = elapsed.secondsDouble * Double(pagesTotal - pagesDone) / Double(pagesDone)
        return .milliseconds(Int64(seconds * 1000))
    }

    /// One status line: `42% 310.5 MB/s ETA 0:07 read 512.0 MB written 40.2 MB`.
    public var line: String {
        let percent = Int((fraction * 100).rounded(.down))
        let eta = remaining.map { Self.clock($0) } ?? "--:--"
        return "\(percent)% \(Self.decimal(megabytesPerSecond, 1)) MB/s ETA \(eta) read \(Self.megabytes(bytesRead)) written \(Self.megabytes(bytesWritten))"
    }

    static func megabytes(_ bytes: UInt64) -> String { "\(decimal(Double(bytes) / 1e6, 1)) MB" }

    static func decimal(_ value: Double, _ places: Int) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = (value * scale).rounded()
        guard scaled.isFinite, abs(scaled) < 1e15 else { return "0" }
        let whole = Int64(scaled)
        let integer = whole / Int64(scale)
        let fraction = String(abs(whole % Int64(scale)))
        return places == 0 ? "\(integer)" : "\(integer).\(String(repeating: "0", count: places - fraction.count))\(fraction)"
    }

    static func clock(_ duration: Duration) -> String {
        let total = max(duration.components.seconds, 0)
        let hours = total / 3600
        let minutes = (total % 3600) / 60
        let seconds = total % 60
        let two = { (value: Int64) in value < 10 ? "0\(value)" : "\(value)" }
        return hours > 0 ? "\(hours):\(two(minutes)):\(two(seconds))" : "\(minutes):\(two(seconds))"
    }
}

extension Duration {
    var secondsDouble: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
