public import KexecCore

/// Why a tree could not be prepared for the kernel kexec boots.
public enum KexecDeviceTreeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A property of the source tree is malformed, or a new value does not fit
    /// the cells the tree gives it.
    case property(DeviceTreePropertyError)
    /// The edited tree cannot be written.
    case write(DeviceTreeWriteError)
    /// The command line holds a NUL byte, which would end `bootargs` early.
    case commandLineHasNUL
    /// The command line does not fit the kernel's `COMMAND_LINE_SIZE` (with its NUL).
    case commandLineTooLong(length: Int, limit: Int)
    /// The tree's own reservation entry `[address, address + size)` passes 2^64.
    case blobPastAddressSpace(address: PhysicalAddress, size: Int)

    public var description: String {
        switch self {
        case .property(let error): error.description
        case .write(let error): error.description
        case .commandLineHasNUL: "the kernel command line holds a NUL byte"
        case .commandLineTooLong(let length, let limit):
            "the kernel command line is \(length) bytes; with its NUL it must fit \(limit) (COMMAND_LINE_SIZE)"
        case .blobPastAddressSpace(let address, let size):
            "a \(size)-byte device tree at \(address) passes the top of the 64-bit address space"
        }
    }
}
