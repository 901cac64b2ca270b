/// One property of a device tree node: a name and its raw value bytes.
///
/// Values are kept exactly as the blob or the `/proc/device-tree` file holds them
/// (big-endian cells, NUL-terminated strings); the typed accessors in
/// `DeviceTreeProperty+Decoding.swift` read them and the initializers in
/// `DeviceTreeProperty+Encoding.swift` make them.
public struct DeviceTreeProperty: Hashable, Sendable, CustomStringConvertible {
    /// The property name, as stored in the strings block ("reg", "linux,initrd-start").
    public var name: String
    /// The value bytes; empty for a boolean property such as `interrupt-controller`.
    public var value: [UInt8]

    /// A property with raw value bytes.
    public init(name: String, value: [UInt8]) {
        self.name = name
        self.value = value
    }

    /// Whether the property carries no bytes (a flag such as `linux,booted-from-kexec`).
    public var isEmpty: Bool { value.isEmpty }

    /// `name = <N bytes>`, for diagnostics.
    public var description: String { "\(name) (\(value.count) bytes)" }
}
