public import ElfNotes

// Typed VMCOREINFO access for the kernel layer. ElfNotes' accessors answer `nil`
// both for a missing key and for a malformed value; here the two are told apart,
// and every error names the key and what it was needed for.

extension VmcoreInfo {
    /// `SYMBOL(name)`: a kernel virtual address (hex, `%lx`).
    /// - Parameters:
    ///   - name: the symbol ("init_top_pgt").
    ///   - purpose: what the caller needs it for, for the error message.
    /// - Throws: ``CrashDumpError/missingVmcoreInfo(key:purpose:)`` when absent,
    ///   ``CrashDumpError/invalidVmcoreInfo(key:value:reason:)`` when not hex.
    public func requiredSymbol(_ name: String, for purpose: String) throws(CrashDumpError) -> UInt64 {
        try Self.required(presentSymbol(name), key: "SYMBOL(\(name))", purpose: purpose)
    }

    /// `SYMBOL(name)`, or `nil` when VMCOREINFO does not have it.
    /// - Throws: ``CrashDumpError/invalidVmcoreInfo(key:value:reason:)`` when present but not hex.
    public func presentSymbol(_ name: String) throws(CrashDumpError) -> UInt64? {
        try parsed("SYMBOL(\(name))", expected: "a hex address", Self.parseHex)
    }

    /// `OFFSET(structure.field)`: a member offset in bytes (unsigned decimal).
    /// - Throws: ``CrashDumpError/missingVmcoreInfo(key:purpose:)`` or
    ///   ``CrashDumpError/invalidVmcoreInfo(key:value:reason:)``.
    public func requiredOffset(_ structure: String, _ field: String, for purpose: String) throws(CrashDumpError) -> UInt64 {
        try Self.required(presentOffset(structure, field), key: "OFFSET(\(structure).\(field))", purpose: purpose)
    }

    /// `OFFSET(structure.field)`, or `nil` when absent.
    /// - Throws: ``CrashDumpError/invalidVmcoreInfo(key:value:reason:)`` when not an unsigned decimal.
    public func presentOffset(_ structure: String, _ field: String) throws(CrashDumpError) -> UInt64? {
        try parsed("OFFSET(\(structure).\(field))", expected: "an unsigned decimal", Self.parseUnsigned)
    }

    /// `SIZE(name)`: a type's size in bytes (unsigned decimal).
    /// - Throws: ``CrashDumpError/missingVmcoreInfo(key:purpose:)`` or
    ///   ``CrashDumpError/invalidVmcoreInfo(key:value:reason:)``.
    public func requiredSize(_ name: String, for purpose: String) throws(CrashDumpError) -> UInt64 {
        try Self.required(presentSize(name), key: "SIZE(\(name))", purpose: purpose)
    }

    /// `SIZE(name)`, or `nil` when absent.
    /// - Throws: ``CrashDumpError/invalidVmcoreInfo(key:value:reason:)`` when not an unsigned decimal.
    public func presentSize(_ name: String) throws(CrashDumpError) -> UInt64? {
        try parsed("SIZE(\(name))", expected: "an unsigned decimal", Self.parseUnsigned)
    }

    /// `LENGTH(name)`: an array's element count (unsigned decimal).
    /// - Throws: ``CrashDumpError/missingVmcoreInfo(key:purpose:)`` or
    ///   ``CrashDumpError/invalidVmcoreInfo(key:value:reason:)``.
    public func requiredLength(_ name: String, for purpose: String) throws(CrashDumpError) -> UInt64 {
        try Self.required(presentLength(name), key: "LENGTH(\(name))", purpose: purpose)
    }

    /// `LENGTH(name)`, or `nil` when absent.
    /// - Throws: ``CrashDumpError/invalidVmcoreInfo(key:value:reason:)`` when not an unsigned decimal.
    public func presentLength(_ name: String) throws(CrashDumpError) -> UInt64? {
        try parsed("LENGTH(\(name))", expected: "an unsigned decimal", Self.parseUnsigned)
    }

    /// `NUMBER(name)`: a signed decimal (`%ld`), or `0x` hex as some
    /// architectures print addresses; hex above `Int64.max` comes back as its
    /// two's-complement bit pattern.
    /// - Throws: ``CrashDumpError/missingVmcoreInfo(key:purpose:)`` or
    ///   ``CrashDumpError/invalidVmcoreInfo(key:value:reason:)``.
    public func requiredNumber(_ name: String, for purpose: String) throws(CrashDumpError) -> Int64 {
        try Self.required(presentNumber(name), key: "NUMBER(\(name))", purpose: purpose)
    }

    /// `NUMBER(name)`, or `nil` when absent.
    /// - Throws: ``CrashDumpError/invalidVmcoreInfo(key:value:reason:)`` when not a number.
    public func presentNumber(_ name: String) throws(CrashDumpError) -> Int64? {
        try parsed("NUMBER(\(name))", expected: "a signed decimal or 0x hex number", Self.parseSigned)
    }

    /// `NUMBER(name)` as a 32-bit value, for page-type and mapcount constants
    /// that the kernel prints with `%ld` but compares as `int`
    /// (PAGE_BUDDY_MAPCOUNT_VALUE=-129, or -268435456 for `0xf0 << 24`).
    /// - Throws: ``CrashDumpError/invalidVmcoreInfo(key:value:reason:)`` when
    ///   not a number or outside both the `Int32` and the `UInt32` range.
    public func presentInt32(_ name: String) throws(CrashDumpError) -> Int32? {
        guard let value = try presentNumber(name) else { return nil }
        if let signed = Int32(exactly: value) { return signed }
        if let unsigned = UInt32(exactly: value) { return Int32(bitPattern: unsigned) }
        throw .invalidVmcoreInfo(key: "NUMBER(\(name))", value: String(value), reason: "does not fit in 32 bits")
    }

    /// A page-flag bit number `NUMBER(PG_name)`, or `nil` when absent.
    /// - Throws: ``CrashDumpError/invalidVmcoreInfo(key:value:reason:)`` unless 0...63.
    public func presentBitNumber(_ name: String) throws(CrashDumpError) -> Int? {
        guard let value = try presentNumber(name) else { return nil }
        guard (0...63).contains(value) else {
            throw .invalidVmcoreInfo(key: "NUMBER(\(name))", value: String(value), reason: "not a bit number 0...63")
        }
        return Int(value)
    }

    /// The crashed kernel's release from `OSRELEASE=`, or `nil` when absent or
    /// not of the form `major.minor...`.
    public var kernelVersion: KernelVersion? {
        osRelease.flatMap { KernelVersion(release: $0) }
    }

    /// The crashed kernel's release from `OSRELEASE=`.
    /// - Throws: ``CrashDumpError/missingVmcoreInfo(key:purpose:)`` when absent,
    ///   ``CrashDumpError/invalidVmcoreInfo(key:value:reason:)`` when it does not start with `major.minor`.
    public func requiredKernelVersion(for purpose: String) throws(CrashDumpError) -> KernelVersion {
        guard let release = osRelease else { throw .missingVmcoreInfo(key: "OSRELEASE", purpose: purpose) }
        guard let version = KernelVersion(release: release) else {
            throw .invalidVmcoreInfo(key: "OSRELEASE", value: release, reason: "does not start with major.minor")
        }
        return version
    }

    /// The crashed kernel's page size from `PAGESIZE=`.
    /// - Throws: ``CrashDumpError/missingVmcoreInfo(key:purpose:)`` when absent,
    ///   ``CrashDumpError/invalidVmcoreInfo(key:value:reason:)`` unless a power of two from 4 KiB to 1 MiB.
    public func requiredPageSize(for purpose: String) throws(CrashDumpError) -> UInt64 {
        guard let text = self["PAGESIZE"] else { throw .missingVmcoreInfo(key: "PAGESIZE", purpose: purpose) }
        guard let size = Self.parseUnsigned(text), size >= 4096, size <= 1 << 20, size & (size - 1) == 0 else {
            throw .invalidVmcoreInfo(key: "PAGESIZE", value: text, reason: "not a power of two from 4096 to 1 MiB")
        }
        return size
    }

    private func parsed<T>(_ key: String, expected: String, _ parse: (String) -> T?) throws(CrashDumpError) -> T? {
        guard let text = self[key] else { return nil }
        guard let value = parse(text) else {
            throw .invalidVmcoreInfo(key: key, value: String(text.prefix(80)), reason: "not \(expected)")
        }
        return value
    }

    private static func required<T>(_ value: T?, key: String, purpose: String) throws(CrashDumpError) -> T {
        guard let value else { throw .missingVmcoreInfo(key: key, purpose: purpose) }
        return value
    }

    static func parseHex(_ text: String) -> UInt64? {
        var digits = Substring(text)
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") { digits = digits.dropFirst(2) }
        guard !digits.isEmpty, digits.count <= 16 else { return nil }
        return UInt64(digits, radix: 16)
    }

    static func parseUnsigned(_ text: String) -> UInt64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return UInt64(text)
    }

    static func parseSigned(_ text: String) -> Int64? {
        if text.hasPrefix("0x") || text.hasPrefix("0X") { return parseHex(text).map { Int64(bitPattern: $0) } }
        return Int64(text)
    }
}
