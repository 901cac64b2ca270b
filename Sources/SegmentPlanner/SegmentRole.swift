/// What a segment of a plan holds; shown in listings and JSON.
public enum SegmentRole: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case kernel
    case initrd
    case purgatory
    case bootParams = "boot-params"
    case commandLine = "cmdline"
    case setupData = "setup-data"
    case elfcorehdr
    case deviceTree = "device-tree"
    case backup
    case other

    public var description: String { rawValue }
}
