/// What the address types share: a 64-bit value with overflow-checked arithmetic.
///
/// Addresses are never `Int` or `UInt`: a 32-bit build must still describe memory
/// above 4 GiB. ``PhysicalAddress`` and ``VirtualAddress`` are distinct types so one
/// cannot be passed where the other is meant.
public protocol Address: RawRepresentable, Hashable, Comparable, Sendable,
    CustomStringConvertible where RawValue == UInt64
{
    init(rawValue: UInt64)
    /// The address space's name in error messages ("physical", "virtual").
    static var spaceName: String { get }
}

extension Address {
    @inlinable
    public init(_ value: UInt64) { self.init(rawValue: value) }

    @inlinable
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// `0x`-prefixed lowercase hex, as the kernel prints addresses.
    public var description: String { "0x" + String(rawValue, radix: 16) }

    /// This address plus `offset`.
    /// - Throws: ``AddressError/overflow(_:_:operation:)`` past the top of the address space.
    @inlinable
    public func adding(_ offset: UInt64) throws(AddressError) -> Self {
        let (sum, overflow) = rawValue.addingReportingOverflow(offset)
        if overflow { throw .overflow(rawValue, offset, operation: "\(description) + 0x\(String(offset, radix: 16))") }
        return Self(rawValue: sum)
    }

    /// This address minus `offset`.
    /// - Throws: ``AddressError/overflow(_:_:operation:)`` below zero.
    @inlinable
    public func subtracting(_ offset: UInt64) throws(AddressError) -> Self {
        let (difference, overflow) = rawValue.subtractingReportingOverflow(offset)
        if overflow { throw .overflow(rawValue, offset, operation: "\(description) - 0x\(String(offset, radix: 16))") }
        return Self(rawValue: difference)
    }

    /// The distance from `other` up to this address.
    /// - Throws: ``AddressError/overflow(_:_:operation:)`` when `other` is higher.
    @inlinable
    public func distance(from other: Self) throws(AddressError) -> UInt64 {
        try subtracting(other.rawValue).rawValue
    }

    /// Whether the address is a multiple of `alignment` (a power of two).
    @inlinable
    public func isAligned(to alignment: Alignment) -> Bool {
        rawValue & alignment.mask == 0
    }

    /// The highest address at or below this one that is a multiple of `alignment`.
    @inlinable
    public func alignedDown(to alignment: Alignment) -> Self {
        Self(rawValue: rawValue & ~alignment.mask)
    }

    /// The lowest address at or above this one that is a multiple of `alignment`.
    /// - Throws: ``AddressError/overflow(_:_:operation:)`` when that address would
    ///   lie past the top of the address space.
    @inlinable
    public func alignedUp(to alignment: Alignment) throws(AddressError) -> Self {
        if isAligned(to: alignment) { return self }
        let (sum, overflow) = rawValue.addingReportingOverflow(alignment.mask)
        if overflow {
            throw .overflow(rawValue, alignment.bytes, operation: "align \(description) up to 0x\(String(alignment.bytes, radix: 16))")
        }
        return Self(rawValue: sum & ~alignment.mask)
    }
}

/// A physical memory address: what `kexec_segment.mem`, `/proc/iomem` and ELF
/// `p_paddr` speak of.
@frozen public struct PhysicalAddress: Address {
    public let rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }
    public static var spaceName: String { "physical" }
}

/// A kernel or user virtual address: ELF `p_vaddr`, `SYMBOL()` values in VMCOREINFO.
@frozen public struct VirtualAddress: Address {
    public let rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }
    public static var spaceName: String { "virtual" }
}

extension PhysicalAddress: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: UInt64) { self.init(rawValue: value) }
}

extension VirtualAddress: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: UInt64) { self.init(rawValue: value) }
}
