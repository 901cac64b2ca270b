/// A Linux kernel release as three comparable numbers, parsed from VMCOREINFO's
/// `OSRELEASE=` ("6.1.0-56-amd64", "5.14.0-427.13.1.el9_4.x86_64", "6.12.0-rc1",
/// "2.6.32-754.el6.i686"). Distribution suffixes are ignored: only the leading
/// `major.minor[.patch]` decides which kernel-era rules apply.
public struct KernelVersion: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The first number (6 in 6.1.0).
    public var major: Int
    /// The second number (1 in 6.1.0).
    public var minor: Int
    /// The third number, 0 when the release has only two ("6.12-rc1").
    public var patch: Int

    /// A version from its three numbers.
    public init(_ major: Int, _ minor: Int, _ patch: Int = 0) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// Parses the leading `major.minor[.patch]` of a kernel release string;
    /// `nil` when it does not start with at least `major.minor` in decimal.
    public init?(release: String) {
        var numbers: [Int] = []
        var current: Int? = nil
        for character in release.utf8 {
            if character >= UInt8(ascii: "0") && character <= UInt8(ascii: "9") {
                let digit = Int(character - UInt8(ascii: "0"))
                let (times, overflow1) = (current ?? 0).multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times.addingReportingOverflow(digit)
                guard !overflow1, !overflow2, sum <= 1_000_000 else { return nil }
                current = sum
                continue
            }
            guard let value = current else { break }
            numbers.append(value)
            current = nil
            if character != UInt8(ascii: ".") || numbers.count == 3 { break }
        }
        if let value = current, numbers.count < 3 { numbers.append(value) }
        guard numbers.count >= 2 else { return nil }
        self.init(numbers[0], numbers[1], numbers.count > 2 ? numbers[2] : 0)
    }

    /// `major.minor.patch`.
    public var description: String { "\(major).\(minor).\(patch)" }

    /// Orders by major, then minor, then patch.
    public static func < (lhs: KernelVersion, rhs: KernelVersion) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
    }
}
