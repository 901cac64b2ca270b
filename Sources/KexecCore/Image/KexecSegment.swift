/// One piece of a kexec image: bytes and the physical range they are copied to.
///
/// The kernel copies `buffer` to the start of `destination` and zero-fills the rest
/// (`bufsz <= memsz`). Validity against the kernel's rules is the planner's job;
/// a segment itself only guarantees `buffer.count <= destination.size`.
public struct KexecSegment: Hashable, Sendable {
    /// The bytes to copy (`kexec_segment.buf` / `bufsz`).
    public let buffer: [UInt8]
    /// Where they go (`kexec_segment.mem` / `memsz`).
    public let destination: PhysicalRange

    /// - Throws: ``KexecSegmentError/bufferLargerThanDestination(bufferSize:destination:)``.
    public init(buffer: [UInt8], destination: PhysicalRange) throws(KexecSegmentError) {
        guard UInt64(buffer.count) <= destination.size else {
            throw .bufferLargerThanDestination(bufferSize: UInt64(buffer.count), destination: destination)
        }
        self.buffer = buffer
        self.destination = destination
    }

    /// `bufsz`.
    public var bufferSize: UInt64 { UInt64(buffer.count) }
    /// `memsz`.
    public var memorySize: UInt64 { destination.size }
}

/// A segment whose parts do not fit together.
public enum KexecSegmentError: Error, Hashable, Sendable, CustomStringConvertible {
    case bufferLargerThanDestination(bufferSize: UInt64, destination: PhysicalRange)

    public var description: String {
        switch self {
        case .bufferLargerThanDestination(let size, let destination):
            "segment buffer of \(size) bytes does not fit its destination \(destination) (\(destination.size) bytes)"
        }
    }
}
