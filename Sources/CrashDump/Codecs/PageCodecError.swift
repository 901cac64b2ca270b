/// Why a page could not be compressed or decompressed.
public enum PageCodecError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The codec library could not allocate its context.
    case allocationFailed(codec: PageCodec)
    /// The page descriptor names a codec this build cannot decode (snappy).
    case unsupported(flags: UInt32)
    /// The page size is not one the codecs accept (1 byte to 16 MiB).
    case invalidPageSize(Int)
    /// A buffer had the wrong length: `what` needed `expected` bytes, got `actual`.
    case wrongBufferSize(what: String, expected: Int, actual: Int)
    /// The compressed bytes are not valid for `codec`; `detail` is the library's word.
    case corruptData(codec: PageCodec, detail: String)
    /// The data decompressed to `actual` bytes instead of the page size `expected`.
    case wrongLength(codec: PageCodec, expected: Int, actual: Int)

    /// What went wrong, in words.
    public var description: String {
        switch self {
        case .allocationFailed(let codec):
            "cannot allocate a \(codec) context"
        case .unsupported(let flags):
            "page compression flags 0x\(String(flags, radix: 16)) name snappy, which this build does not decode"
        case .invalidPageSize(let size):
            "page size \(size) is not between 1 byte and 16 MiB"
        case .wrongBufferSize(let what, let expected, let actual):
            "\(what) must be \(expected) bytes, got \(actual)"
        case .corruptData(let codec, let detail):
            "\(codec) data is corrupt: \(detail)"
        case .wrongLength(let codec, let expected, let actual):
            "\(codec) data decompressed to \(actual) bytes instead of the \(expected)-byte page"
        }
    }
}
