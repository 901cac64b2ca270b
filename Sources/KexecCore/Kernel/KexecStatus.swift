public import SystemPackage

/// What the running kernel has loaded, from `/sys/kernel/kexec_*`.
public struct KexecStatus: Hashable, Sendable {
    /// `/sys/kernel/kexec_loaded`: a normal image is loaded.
    public var normalLoaded: Bool
    /// `/sys/kernel/kexec_crash_loaded`: a crash image is loaded.
    public var crashLoaded: Bool
    /// `/sys/kernel/kexec_crash_size`: bytes reserved for the crash kernel, `nil`
    /// when the kernel has no crash support (no such file).
    public var crashSize: UInt64?

    public init(normalLoaded: Bool, crashLoaded: Bool, crashSize: UInt64?) {
        self.normalLoaded = normalLoaded
        self.crashLoaded = crashLoaded
        self.crashSize = crashSize
    }

    /// Whether the image of `kind` is loaded.
    public func isLoaded(_ kind: ImageKind) -> Bool { kind == .crash ? crashLoaded : normalLoaded }

    /// Parses the three attribute texts (`crashSize` `nil` when the file is absent).
    /// - Throws: ``KexecStatusError`` naming the attribute.
    public init(kexecLoaded: String, kexecCrashLoaded: String, kexecCrashSize: String?) throws(KexecStatusError) {
        normalLoaded = try Self.flag(kexecLoaded, attribute: "kexec_loaded")
        crashLoaded = try Self.flag(kexecCrashLoaded, attribute: "kexec_crash_loaded")
        if let kexecCrashSize {
            let text = kexecCrashSize.trimmingTrailingNewlines()
            guard let size = UInt64(text) else { throw KexecStatusError(attribute: "kexec_crash_size", text: text) }
            crashSize = size
        } else {
            crashSize = nil
        }
    }

    private static func flag(_ text: String, attribute: String) throws(KexecStatusError) -> Bool {
        switch text.trimmingTrailingNewlines() {
        case "0": return false
        case "1": return true
        default: throw KexecStatusError(attribute: attribute, text: text.trimmingTrailingNewlines())
        }
    }

    /// Reads the status from sysfs (`sysfs` is the mount point, normally /sys).
    /// - Throws: ``KexecUnsupportedError`` when the kernel has no kexec support,
    ///   ``FileReadError`` or ``KexecStatusError``.
    public static func read(sysfs: FilePath = "/sys") throws -> KexecStatus {
        let kernel = sysfs.appending("kernel")
        let crashSizePath = kernel.appending("kexec_crash_size")
        var crashSize: String?
        do {
            crashSize = try FileReader.readText(crashSizePath, limit: 64)
        } catch let error as FileReadError where error.errno == .noSuchFileOrDirectory {
            crashSize = nil
        }
        let loaded: String
        do {
            loaded = try FileReader.readText(kernel.appending("kexec_loaded"), limit: 64)
        } catch let error as FileReadError where error.errno == .noSuchFileOrDirectory {
            throw KexecUnsupportedError(path: error.path)
        }
        return try KexecStatus(
            kexecLoaded: loaded,
            kexecCrashLoaded: FileReader.readText(kernel.appending("kexec_crash_loaded"), limit: 64),
            kexecCrashSize: crashSize)
    }
}

/// A sysfs kexec attribute that does not hold what the kernel writes there.
public struct KexecStatusError: Error, Hashable, Sendable, CustomStringConvertible {
    public let attribute: String
    public let text: String
    public var description: String { "/sys/kernel/\(attribute) holds \"\(text.prefix(40))\", expected a decimal number" }
}

/// The running kernel has no kexec support: `/sys/kernel/kexec_loaded` does not exist.
public struct KexecUnsupportedError: Error, Hashable, Sendable, CustomStringConvertible {
    public let path: FilePath
    public var description: String {
        "\(path) does not exist: this kernel was built without kexec support (CONFIG_KEXEC / CONFIG_KEXEC_FILE), or sysfs is not mounted"
    }
}
