/// The byte order of a binary layout: every encoder and decoder in the suite is
/// told it explicitly, never reinterpreting a struct in host order.
public enum ByteOrder: String, Hashable, Sendable, CaseIterable {
    case little
    case big

    /// The order of the machine this code runs on.
    public static var host: ByteOrder {
        UInt16(1).littleEndian == 1 ? .little : .big
    }
}
