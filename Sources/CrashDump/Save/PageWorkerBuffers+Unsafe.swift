/// The two page buffers a ``PageWorker`` owns, allocated once and freed with it.
/// Shared only as its worker is (see ``PageWorker``).
final class PageWorkerBuffers: @unchecked Sendable {
    let input: UnsafeMutableRawBufferPointer
    let output: UnsafeMutableRawBufferPointer

    init(inputBytes: Int, outputBytes: Int) {
        // Safe: sizes are positive products of small counts; the buffers live as
        // long as this object and are only handed out as rebased slices.
        input = .allocate(byteCount: max(inputBytes, 8), alignment: 64)
        input.initializeMemory(as: UInt8.self, repeating: 0)
        output = .allocate(byteCount: max(outputBytes, 8), alignment: 64)
        output.initializeMemory(as: UInt8.self, repeating: 0)
    }

    deinit {
        input.deallocate()
        output.deallocate()
    }

    /// Whether every byte of `page` is zero, eight bytes at a time.
    static func isZero(_ page: UnsafeRawBufferPointer) -> Bool {
        let words = page.count / 8
        var index = 0
        // Safe: `loadUnaligned` reads within `page`; the tail is checked bytewise.
        while index + 8 <= words {
            var accumulated: UInt64 = 0
            for step in 0..<8 { accumulated |= page.loadUnaligned(fromByteOffset: (index + step) * 8, as: UInt64.self) }
            if accumulated != 0 { return false }
            index += 8
        }
        while index < words {
            if page.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self) != 0 { return false }
            index += 1
        }
        for offset in words * 8..<page.count where page[offset] != 0 { return false }
        return true
    }
}
