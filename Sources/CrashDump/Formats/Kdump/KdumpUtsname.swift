/// `struct new_utsname`: six NUL-padded 65-byte strings, copied from the crashed
/// kernel into `disk_dump_header` at byte 12 (390 bytes).
public struct KdumpUtsname: Hashable, Sendable {
    /// The length of each field, with its NUL.
    public static let fieldLength = 65
    /// The encoded size.
    public static let size = 6 * fieldLength

    /// `sysname` ("Linux").
    public var sysname: String
    /// `nodename` (the host name).
    public var nodename: String
    /// `release` (`uname -r`).
    public var release: String
    /// `version` (`uname -v`).
    public var version: String
    /// `machine` ("x86_64", "i686", "ppc64le", ...).
    public var machine: String
    /// `domainname`.
    public var domainname: String

    /// A utsname with every field given (each is cut to 64 bytes when encoded).
    public init(sysname: String = "Linux", nodename: String = "", release: String = "", version: String = "",
                machine: String = "", domainname: String = "") {
        self.sysname = sysname
        self.nodename = nodename
        self.release = release
        self.version = version
        self.machine = machine
        self.domainname = domainname
    }

    /// Decodes the 390 bytes at `offset` of `bytes`: each field up to its first
    /// NUL, invalid UTF-8 repaired. Never fails when the bytes are there.
    init(decoding bytes: [UInt8], at offset: Int) {
        func field(_ index: Int) -> String {
            let start = offset + index * Self.fieldLength
            let raw = bytes[start..<start + Self.fieldLength]
            return String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        self.init(sysname: field(0), nodename: field(1), release: field(2), version: field(3), machine: field(4),
                  domainname: field(5))
    }

    /// The 390 encoded bytes; each field is cut to 64 UTF-8 bytes and NUL-padded.
    public var encoded: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.size)
        for field in [sysname, nodename, release, version, machine, domainname] {
            let utf8 = Array(field.utf8.prefix(Self.fieldLength - 1))
            bytes.append(contentsOf: utf8)
            bytes.append(contentsOf: repeatElement(0, count: Self.fieldLength - utf8.count))
        }
        return bytes
    }
}
