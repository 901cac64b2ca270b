#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The wall clock, for the kdump header's timestamp.
enum WallClock {
    static var secondsSinceEpoch: Int64 {
        // Safe: clock_gettime fills a plain struct.
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec)
    }
}

/// Hands ``SaveProgress`` snapshots to a callback at most every `interval`,
/// plus one at the end.
final class ProgressThrottle {
    private let handler: ((SaveProgress) -> Void)?
    private let interval: Duration
    private let clock = ContinuousClock()
    private let started: ContinuousClock.Instant
    private var last: ContinuousClock.Instant
    private var total: UInt64 = 0

    init(interval: Duration = .milliseconds(500), handler: ((SaveProgress) -> Void)?) {
        self.handler = handler
        self.interval = interval
        started = clock.now
        last = started
    }

    func start(total: UInt64) {
        self.total = total
    }

    func update(pagesDone: UInt64, bytesRead: UInt64, bytesWritten: UInt64) {
        guard let handler else { return }
        let now = clock.now
        guard now - last >= interval else { return }
        last = now
        handler(SaveProgress(pagesDone: pagesDone, pagesTotal: total, bytesRead: bytesRead, bytesWritten: bytesWritten,
                             elapsed: now - started))
    }

    func finish(pagesDone: UInt64, bytesRead: UInt64, bytesWritten: UInt64) {
        handler?(SaveProgress(pagesDone: pagesDone, pagesTotal: total, bytesRead: bytesRead, bytesWritten: bytesWritten,
                              elapsed: clock.now - started))
    }
}
