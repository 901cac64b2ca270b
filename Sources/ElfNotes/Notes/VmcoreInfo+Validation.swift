/// A VMCOREINFO text that does not follow the kernel's format, naming the line.
public enum VmcoreInfoError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Line `line` (1-based) has no `=`.
    case malformedLine(line: Int, text: String)
    /// Line `line`'s value does not have the form its key requires.
    case invalidValue(line: Int, key: String, value: String, expected: String)
    /// The note is not named "VMCOREINFO" with type 0.
    case notVmcoreinfo(name: String, type: UInt32)

    public var description: String {
        switch self {
        case .malformedLine(let line, let text):
            "VMCOREINFO line \(line) has no '=': \"\(text.prefix(80))\""
        case .invalidValue(let line, let key, let value, let expected):
            "VMCOREINFO line \(line): \(key)=\(value.prefix(80)) is not \(expected)"
        case .notVmcoreinfo(let name, let type):
            "note \"\(name)\" type \(type) is not VMCOREINFO (name \"VMCOREINFO\", type 0)"
        }
    }
}

extension VmcoreInfo {
    /// Checks every line against the kernel's format: `KEY=value` everywhere, hex
    /// for `SYMBOL()` and `KERNELOFFSET`, unsigned decimal for `OFFSET()`, `SIZE()`,
    /// `LENGTH()` and `PAGESIZE`, signed decimal (or `0x` hex) for `NUMBER()` and
    /// `CRASHTIME`. Unknown keys are accepted with any value.
    /// - Throws: ``VmcoreInfoError`` for the first line that breaks the format.
    public func validate() throws(VmcoreInfoError) {
        for (index, line) in lines.enumerated() {
            switch line {
            case .raw(let text):
                throw .malformedLine(line: index + 1, text: text)
            case .entry(let key, let value):
                if let expected = Self.problem(key: key, value: value) {
                    throw .invalidValue(line: index + 1, key: key, value: value, expected: expected)
                }
            }
        }
    }

    /// What `value` should have been for `key`, or `nil` when it is fine.
    static func problem(key: String, value: String) -> String? {
        if key.hasPrefix("SYMBOL(") || key == "KERNELOFFSET" {
            return hex(value) == nil ? "a hex address" : nil
        }
        if key.hasPrefix("OFFSET(") || key.hasPrefix("SIZE(") || key.hasPrefix("LENGTH(") || key == "PAGESIZE" {
            return UInt64(value) == nil ? "an unsigned decimal number" : nil
        }
        if key.hasPrefix("NUMBER(") {
            return signedNumber(value) == nil ? "a signed decimal (or 0x hex) number" : nil
        }
        if key == "CRASHTIME" {
            return Int64(value) == nil ? "a signed decimal number of seconds" : nil
        }
        return nil
    }
}
