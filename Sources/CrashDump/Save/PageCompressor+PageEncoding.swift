extension PageCompressor: PageEncoding {
    var flag: UInt32 { codec.kdumpFlag }

    /// One byte less than a page, or LZO1X-1's worst case, which lets it compress
    /// straight into the worker's buffer (it takes no output bound).
    func bound(pageSize: Int) -> Int {
        codec == .lzo ? pageSize + pageSize / 16 + 67 : max(pageSize - 1, 1)
    }

    func encode(_ page: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int? {
        switch try? compress(page, into: output) {
        case .compressed(let size)?: size
        default: nil
        }
    }
}
