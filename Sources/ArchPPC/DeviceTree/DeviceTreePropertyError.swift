/// A property whose value does not have the shape a caller asked for, or that is
/// missing where it is required.
public struct DeviceTreePropertyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Why the value was refused.
    public enum Reason: Hashable, Sendable {
        /// The property is absent.
        case missing
        /// The value has `actual` bytes; `expected` says what would have fit ("4", "4 or 8", "a multiple of 16").
        case wrongLength(actual: Int, expected: String)
        /// A string value without its terminating NUL, with a NUL inside, or not UTF-8.
        case notAString
        /// A `#address-cells` / `#size-cells` value outside 0...4.
        case invalidCellCount(UInt32)
        /// A number of `cells` cells whose value does not fit 64 bits.
        case valueTooWide(cells: Int)
        /// A value that does not fit the `cells` cells it must be written in.
        case valueDoesNotFit(value: UInt64, cells: Int)
        /// A `[base, base + size)` pair that passes the top of the 64-bit address space.
        case rangeOverflow(base: UInt64, size: UInt64)
        /// A structural rule of the property's format, in words.
        case malformed(String)
    }

    /// The node's path ("/chosen"), when known.
    public var path: String?
    /// The property's name.
    public var property: String
    /// What was wrong.
    public var reason: Reason

    /// An error about `property` (of the node at `path`, when known).
    public init(path: String? = nil, property: String, reason: Reason) {
        self.path = path
        self.property = property
        self.reason = reason
    }

    /// The same error with the node's path filled in.
    public func at(_ path: String) -> DeviceTreePropertyError {
        var copy = self
        copy.path = path
        return copy
    }

    public var description: String {
        let location = path.map { "\($0 == "/" ? "" : $0)/\(property)" } ?? property
        let what: String
        switch reason {
        case .missing: what = "is missing"
        case .wrongLength(let actual, let expected): what = "has \(actual) bytes, expected \(expected)"
        case .notAString: what = "is not a NUL-terminated UTF-8 string"
        case .invalidCellCount(let count): what = "is \(count), outside 0...4"
        case .valueTooWide(let cells): what = "holds a \(cells)-cell number that does not fit 64 bits"
        case .valueDoesNotFit(let value, let cells):
            what = "cannot hold 0x\(String(value, radix: 16)) in \(cells) cell\(cells == 1 ? "" : "s")"
        case .rangeOverflow(let base, let size):
            what = "describes 0x\(String(base, radix: 16)) + 0x\(String(size, radix: 16)), past the top of the 64-bit address space"
        case .malformed(let rule): what = "is malformed: \(rule)"
        }
        return "device tree property \(location) \(what)"
    }
}
