/// The two page buffers a ``PageWorker`` owns, allocated once and freed with it.
/// Shared only as its worker is (see ``PageWorker``).
final class PageWorkerBuffers: @unchecked Sendable {
    let input: UnsafeMutableRawBufferPointer
    let output: UnsafeMutableRawBufferPointer

    private var inputReady = false

    init(inputBytes: Int, outputBytes: Int) {
        // Safe: sizes are positive products of small counts; the buffers live as
        // long as this object and are only handed out as rebased slices.
        input = .allocate(byteCount: max(inputBytes, 8), alignment: 64)
        output = .allocate(byteCount: max(outputBytes, 8), alignment: 64)
        output.initializeMemory(as: UInt8.self, repeating: 0)
    }

    /// The input buffer, initialized on first use: a worker whose chunks are all
    /// mapped in place never touches it, so it costs no resident memory.
    func preparedInput() -> UnsafeMutableRawBufferPointer {
        // Safe: initializes the whole allocation once before any read or slice of it.
        if !inputReady {
            input.initializeMemory(as: UInt8.self, repeating: 0)
            inputReady = true
        }
        return input
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

    /// Adds `bytes` to `pieces`, extending the last piece instead when `bytes`
    /// starts where it ends (consecutive raw pages of one buffer or mapping).
    ///
    /// Safe: a merged piece spans exactly the two adjacent ranges, both valid
    /// memory the caller holds (worker buffers, a chunk mapping) for as long as
    /// `pieces` is used.
    static func append(_ bytes: UnsafeRawBufferPointer, mergingInto pieces: inout [UnsafeRawBufferPointer]) {
        if let last = pieces.last, let start = last.baseAddress, let next = bytes.baseAddress, start + last.count == next {
            pieces[pieces.count - 1] = UnsafeRawBufferPointer(start: start, count: last.count + bytes.count)
        } else {
            pieces.append(bytes)
        }
    }
}
