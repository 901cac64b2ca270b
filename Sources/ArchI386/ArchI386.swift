public import KexecCore
import SegmentPlanner

/// bzImage through the 32-bit boot protocol on a running i386 kernel, with the
/// i386 purgatory (kexec-tools' "bzImage" type).
public struct BzImageI386Loader: ImageLoader {
    public init() {}
    public var name: String { "bzImage" }
    public var architectures: Set<KexecArchitecture> { [.i386] }
    public func probe(_ kernel: [UInt8]) -> Bool { SetupHeader.probe(kernel) }
    public func plan(_ input: ImageLoadInput) throws -> any KexecPlan {
        try BzImageLayout.plan(input, purgatoryObject: PurgatoryObjectI386.bytes, entry: .bits32)
    }
}

/// The image loaders of this module, in kexec-tools' probe order.
public enum ArchI386 {
    public static let imageLoaders: [any ImageLoader] = [BzImageI386Loader()]
}
