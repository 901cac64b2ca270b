/// What an image loader needs to plan a load: the files, the command line and
/// the machine.
public struct ImageLoadInput: Sendable {
    /// The kernel image file's bytes.
    public var kernel: [UInt8]
    /// The initrd's bytes, if any.
    public var initrd: [UInt8]?
    /// The new kernel's command line (without NUL).
    public var commandLine: String
    /// Normal or crash.
    public var kind: ImageKind
    /// The architecture of the running kernel that will execute the load (the plan's
    /// KEXEC_ARCH), which need not be the image's own (x86_64 boots i386 kernels).
    public var architecture: KexecArchitecture
    /// Where segments may go.
    public var memoryMap: MemoryMap
    /// The firmware memory map to pass to the new kernel (x86: /sys/firmware/memmap);
    /// `nil` derives it from ``memoryMap``.
    public var firmwareMap: [MemoryRegion]?
    /// The running kernel's page size; `nil` for the architecture's default.
    public var pageSize: PageSize?
    /// `--mem-min` / `--mem-max`.
    public var memoryMinimum: PhysicalAddress?
    public var memoryMaximum: PhysicalAddress?
    /// Let purgatory print progress on the serial console (kexec-tools' --console-serial).
    public var purgatorySerialConsole: Bool
    /// Test only: flip one byte of this segment after the digest is computed, so
    /// purgatory's check must catch it.
    public var corruptSegmentForTesting: Int?
    /// For crash images: what the ELF core header describes.
    public var crashState: CrashState?
    /// PowerPC: the running system's device tree as a flattened blob (a .dtb, or
    /// `/proc/device-tree` flattened by the caller). The loader reads the memory
    /// layout from it and hands an edited copy to the next kernel; ``memoryMap``
    /// then only contributes a crash region, if it has one.
    public var deviceTree: [UInt8]?

    public init(kernel: [UInt8], initrd: [UInt8]? = nil, commandLine: String, kind: ImageKind,
                architecture: KexecArchitecture, memoryMap: MemoryMap, firmwareMap: [MemoryRegion]? = nil,
                pageSize: PageSize? = nil, memoryMinimum: PhysicalAddress? = nil, memoryMaximum: PhysicalAddress? = nil,
                purgatorySerialConsole: Bool = false, corruptSegmentForTesting: Int? = nil, crashState: CrashState? = nil,
                deviceTree: [UInt8]? = nil) {
        self.kernel = kernel
        self.initrd = initrd
        self.commandLine = commandLine
        self.kind = kind
        self.architecture = architecture
        self.memoryMap = memoryMap
        self.firmwareMap = firmwareMap
        self.pageSize = pageSize
        self.memoryMinimum = memoryMinimum
        self.memoryMaximum = memoryMaximum
        self.purgatorySerialConsole = purgatorySerialConsole
        self.corruptSegmentForTesting = corruptSegmentForTesting
        self.crashState = crashState
        self.deviceTree = deviceTree
    }
}

/// A proven plan, ready for `kexec_load`, that can describe itself.
public protocol KexecPlan: Sendable {
    /// The system call's arguments.
    var loadRequest: KexecLoadRequest { get }
    /// The plan as JSON (segments with role, destination, sizes and SHA-256).
    func json() -> String
    /// A readable listing of segments and the memory map.
    func listing() -> String
}

/// One image format for one or more running architectures (bzImage64 on x86_64,
/// bzImage on i386, ELF on ppc64, ...). Arch modules provide these; the tools ask
/// an ``ImageLoaderRegistry`` which one takes a file.
public protocol ImageLoader: Sendable {
    /// The kexec-tools type name, for `-t/--type` ("bzImage64", "bzImage", ...).
    var name: String { get }
    /// The running architectures this loader plans for.
    var architectures: Set<KexecArchitecture> { get }
    /// Whether `kernel` is in this loader's format (cheap, no errors).
    func probe(_ kernel: [UInt8]) -> Bool
    /// Plans the load.
    /// - Throws: the loader's typed errors, planning and validation errors.
    func plan(_ input: ImageLoadInput) throws -> any KexecPlan
}

/// The loaders of every Arch module, in probe order.
public struct ImageLoaderRegistry: Sendable {
    public let loaders: [any ImageLoader]

    public init(_ loaders: [any ImageLoader]) { self.loaders = loaders }

    /// The loader for `kernel` on `architecture`: the one named `type` if given,
    /// else the first whose probe accepts the file.
    /// - Throws: ``ImageLoaderError``.
    public func loader(for kernel: [UInt8], architecture: KexecArchitecture, type: String? = nil) throws(ImageLoaderError) -> any ImageLoader {
        let candidates = loaders.filter { $0.architectures.contains(architecture) }
        if let type {
            guard let named = candidates.first(where: { $0.name == type }) else {
                throw .unknownType(type, architecture: architecture, known: candidates.map(\.name))
            }
            return named
        }
        guard let found = candidates.first(where: { $0.probe(kernel) }) else {
            throw .noLoader(architecture: architecture, tried: candidates.map(\.name))
        }
        return found
    }
}

/// No loader takes the image.
public enum ImageLoaderError: Error, Hashable, Sendable, CustomStringConvertible {
    case unknownType(String, architecture: KexecArchitecture, known: [String])
    case noLoader(architecture: KexecArchitecture, tried: [String])

    public var description: String {
        switch self {
        case .unknownType(let type, let architecture, let known):
            "no image type \(type) for \(architecture); known: \(known.joined(separator: ", "))"
        case .noLoader(let architecture, let tried):
            "cannot determine the file type: no \(architecture) loader recognises it (tried \(tried.joined(separator: ", ")))"
        }
    }
}
