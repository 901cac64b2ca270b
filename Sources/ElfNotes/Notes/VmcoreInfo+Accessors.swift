public import KexecCore

extension VmcoreInfo {
    /// `SYMBOL(name)=`: a kernel virtual address, printed by the kernel in hex
    /// without `0x` (`%lx`); `nil` when absent or not hex.
    public func symbol(_ name: String) -> VirtualAddress? {
        self["SYMBOL(\(name))"].flatMap(Self.hex).map(VirtualAddress.init(rawValue:))
    }

    /// `OFFSET(structure.field)=`: a member's offset in bytes (decimal).
    public func offset(_ structure: String, _ field: String) -> UInt64? {
        self["OFFSET(\(structure).\(field))"].flatMap { UInt64($0) }
    }

    /// `SIZE(name)=`: a structure's or type's size in bytes (decimal).
    public func size(_ name: String) -> UInt64? {
        self["SIZE(\(name))"].flatMap { UInt64($0) }
    }

    /// `LENGTH(name)=`: an array's number of elements (decimal).
    public func length(_ name: String) -> UInt64? {
        self["LENGTH(\(name))"].flatMap { UInt64($0) }
    }

    /// `NUMBER(name)=`: a signed decimal (`%ld`, e.g. PAGE_BUDDY_MAPCOUNT_VALUE=-129),
    /// or `0x`-prefixed hex as the kernel prints `NUMBER(VMALLOC_START)`; hex values
    /// above `Int64.max` come back as their two's-complement bit pattern.
    public func number(_ name: String) -> Int64? {
        self["NUMBER(\(name))"].flatMap(Self.signedNumber)
    }

    /// `CONFIG_name=y` is present.
    public func config(_ name: String) -> Bool {
        self["CONFIG_\(name)"] == "y"
    }

    /// `OSRELEASE=`: the crashed kernel's release ("6.1.0-56-amd64").
    public var osRelease: String? { self["OSRELEASE"] }

    /// `PAGESIZE=`: the crashed kernel's page size in bytes (decimal).
    public var pageSize: UInt64? { self["PAGESIZE"].flatMap { UInt64($0) } }

    /// `KERNELOFFSET=`: the KASLR offset of the kernel text (hex, `%lx`).
    public var kernelOffset: UInt64? { self["KERNELOFFSET"].flatMap(Self.hex) }

    /// `CRASHTIME=`: seconds since the epoch when the kernel crashed (decimal,
    /// appended by `crash_save_vmcoreinfo`).
    public var crashTime: Int64? { self["CRASHTIME"].flatMap { Int64($0) } }

    /// `BUILD-ID=`: the kernel's GNU build ID as hex.
    public var buildID: String? { self["BUILD-ID"] }

    /// Sets `SYMBOL(name)` as the kernel prints it (`%lx`).
    public mutating func setSymbol(_ name: String, _ address: VirtualAddress) {
        self["SYMBOL(\(name))"] = String(address.rawValue, radix: 16)
    }

    /// Sets `OFFSET(structure.field)` (`%lu`).
    public mutating func setOffset(_ structure: String, _ field: String, _ value: UInt64) {
        self["OFFSET(\(structure).\(field))"] = String(value)
    }

    /// Sets `SIZE(name)` (`%lu`).
    public mutating func setSize(_ name: String, _ value: UInt64) {
        self["SIZE(\(name))"] = String(value)
    }

    /// Sets `LENGTH(name)` (`%lu`).
    public mutating func setLength(_ name: String, _ value: UInt64) {
        self["LENGTH(\(name))"] = String(value)
    }

    /// Sets `NUMBER(name)` (`%ld`).
    public mutating func setNumber(_ name: String, _ value: Int64) {
        self["NUMBER(\(name))"] = String(value)
    }

    static func hex(_ text: String) -> UInt64? {
        var digits = Substring(text)
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") { digits = digits.dropFirst(2) }
        guard !digits.isEmpty else { return nil }
        return UInt64(digits, radix: 16)
    }

    static func signedNumber(_ text: String) -> Int64? {
        if text.hasPrefix("0x") || text.hasPrefix("0X") { return hex(text).map { Int64(bitPattern: $0) } }
        return Int64(text)
    }
}
