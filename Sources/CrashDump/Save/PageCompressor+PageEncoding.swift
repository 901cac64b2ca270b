extension PageCompressor: PageEncoding {
    var flag: UInt32 { codec.kdumpFlag }

    func bound(pageSize: Int) -> Int { max(pageSize - 1, 1) }

    func encode(_ page: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int? {
        switch try? compress(page, into: output) {
        case .compressed(let size)?: size
        default: nil
        }
    }
}
