/// Address arithmetic that would leave the 64-bit address space, or an invalid
/// range or alignment.
public enum AddressError: Error, Hashable, Sendable, CustomStringConvertible {
    /// `base` combined with `operand` leaves 0 ... 2^64 - 1; `operation` shows the expression.
    case overflow(UInt64, UInt64, operation: String)
    /// A range whose end lies below its start.
    case endBeforeStart(start: UInt64, end: UInt64)
    /// An inclusive end of 0xffff_ffff_ffff_ffff: a half-open 64-bit range cannot
    /// end past the last byte of the address space.
    case endPastAddressSpace(start: UInt64)
    /// An alignment that is not a power of two.
    case invalidAlignment(UInt64)

    public var description: String {
        switch self {
        case .overflow(_, _, let operation):
            "address arithmetic overflows 64 bits: \(operation)"
        case .endBeforeStart(let start, let end):
            "range end 0x\(String(end, radix: 16)) lies below its start 0x\(String(start, radix: 16))"
        case .endPastAddressSpace(let start):
            "range from 0x\(String(start, radix: 16)) reaches the last byte of the 64-bit address space, which a half-open range cannot describe"
        case .invalidAlignment(let value):
            "alignment 0x\(String(value, radix: 16)) is not a power of two"
        }
    }
}
