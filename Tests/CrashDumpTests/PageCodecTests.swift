import CrashDump
import KexecTestSupport
import Testing

struct PageCodecTests {
    static func pages() -> [(String, [UInt8])] {
        var generator = SeededGenerator(seed: 42)
        let random = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let text = Array(String(repeating: "kdump page codec test ", count: 200).utf8.prefix(4096))
        return [("zeros", [UInt8](repeating: 0, count: 4096)), ("text", text), ("random", random),
                ("half", [UInt8](repeating: 0x5a, count: 2048) + random.prefix(2048))]
    }

    @Test("flag values are makedumpfile's DUMP_DH_COMPRESSED_*")
    func flags() throws {
        #expect(PageCodec.none.kdumpFlag == 0)
        #expect(PageCodec.zlib.kdumpFlag == 0x1)
        #expect(PageCodec.lzo.kdumpFlag == 0x2)
        #expect(PageCodec.zstd.kdumpFlag == 0x20)
        #expect(try PageCodec(descriptorFlags: 0) == .none)
        #expect(try PageCodec(descriptorFlags: 0x1) == .zlib)
        #expect(try PageCodec(descriptorFlags: 0x2) == .lzo)
        #expect(try PageCodec(descriptorFlags: 0x20) == .zstd)
        #expect(try PageCodec(descriptorFlags: 0x21) == .zlib)  // zlib first, as crash and libkdumpfile
        #expect(throws: PageCodecError.unsupported(flags: 0x4)) { try PageCodec(descriptorFlags: 0x4) }
        #expect(KdumpStatus(rawValue: 0x28).codec == .zstd)
        #expect(KdumpStatus(rawValue: 0x28).contains(.incomplete))
        #expect(KdumpStatus(rawValue: 0x4).codec == nil)
    }

    @Test("every codec round-trips every kind of page", arguments: [PageCodec.zlib, .lzo, .zstd])
    func roundTrip(codec: PageCodec) throws {
        let compressor = try codec.makeCompressor(pageSize: 4096)
        let decompressor = try PageDecompressor(pageSize: 4096)
        for (name, page) in Self.pages() {
            if let compressed = try compressor.compress(page) {
                #expect(compressed.count < 4096, "\(name)")
                #expect(try decompressor.decompress(codec, compressed) == page, "\(name)")
            } else {
                #expect(name == "random", "\(codec) did not shrink \(name)")
            }
        }
        // Compressible pages shrink a lot.
        let zeros = try #require(try compressor.compress([UInt8](repeating: 0, count: 4096)))
        #expect(zeros.count < 100)
    }

    @Test("a random page is stored raw; none always stores raw")
    func storeRaw() throws {
        let random = Self.pages()[2].1
        for codec in PageCodec.allCases {
            #expect(try codec.makeCompressor(pageSize: 4096).compress(random) == nil, "\(codec)")
        }
        #expect(try PageCodec.none.makeCompressor(pageSize: 4096).compress([UInt8](repeating: 0, count: 4096)) == nil)
    }

    @Test("an output buffer too small to help gives storeRaw, not an overflow", arguments: [PageCodec.zlib, .lzo, .zstd])
    func smallOutput(codec: PageCodec) throws {
        let compressor = try codec.makeCompressor(pageSize: 4096)
        let text = Self.pages()[1].1
        var output = [UInt8](repeating: 0, count: 8)
        let outcome = try text.withUnsafeBytes { page in
            try output.withUnsafeMutableBytes { try compressor.compress(page, into: $0) }
        }
        #expect(outcome == .storeRaw)
    }

    @Test("the wrong page length is refused")
    func wrongLength() throws {
        let compressor = try PageCodec.zstd.makeCompressor(pageSize: 4096)
        #expect(throws: PageCodecError.wrongBufferSize(what: "page", expected: 4096, actual: 100)) {
            try compressor.compress([UInt8](repeating: 0, count: 100))
        }
        #expect(throws: PageCodecError.invalidPageSize(0)) { try PageCompressor(codec: .zlib, pageSize: 0) }
    }

    @Test("corrupt or mis-sized compressed data is a typed error", arguments: [PageCodec.zlib, .lzo, .zstd])
    func corrupt(codec: PageCodec) throws {
        let decompressor = try PageDecompressor(pageSize: 4096)
        let compressor = try codec.makeCompressor(pageSize: 4096)
        let text = Self.pages()[1].1
        let good = try #require(try compressor.compress(text))
        // Garbage.
        #expect(throws: PageCodecError.self) { try decompressor.decompress(codec, [UInt8](repeating: 0xff, count: 64)) }
        // Cut short.
        #expect(throws: PageCodecError.self) { try decompressor.decompress(codec, Array(good.prefix(good.count / 2))) }
        // A valid stream of the wrong length: a 2 KiB page read as a 4 KiB one, and the other way.
        let small = try #require(try codec.makeCompressor(pageSize: 2048).compress(Array(text.prefix(2048))))
        #expect(throws: PageCodecError.self) { try decompressor.decompress(codec, small) }
        let large = try #require(try codec.makeCompressor(pageSize: 8192).compress(text + text))
        #expect(throws: PageCodecError.self) { try decompressor.decompress(codec, large) }
        switch captureCodec({ () throws(PageCodecError) in try decompressor.decompress(codec, small) }) {
        case .failure(.wrongLength(let errorCodec, let expected, let actual)):
            #expect(errorCodec == codec && expected == 4096 && actual == 2048)
        case .failure(let error):
            // lzo and libdeflate may report the short stream as corrupt instead; both are typed.
            #expect(codec != .zstd, "zstd reports the length: \(error)")
        case .success:
            Issue.record("a 2 KiB page accepted")
        }
        // Raw data must be exactly one page.
        #expect(throws: PageCodecError.wrongLength(codec: .none, expected: 4096, actual: 10)) {
            try decompressor.decompress(.none, [UInt8](repeating: 1, count: 10))
        }
    }

    @Test("fuzzed compressed pages never crash the decoders", arguments: [PageCodec.zlib, .lzo, .zstd])
    func fuzz(codec: PageCodec) throws {
        var generator = SeededGenerator(seed: 7)
        let decompressor = try PageDecompressor(pageSize: 4096)
        let good = try #require(try codec.makeCompressor(pageSize: 4096).compress(Self.pages()[1].1))
        for _ in 0..<300 {
            var mutated = good
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                mutated[Int.random(in: 0..<mutated.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            if Bool.random(using: &generator) { mutated = Array(mutated.prefix(Int.random(in: 1...mutated.count, using: &generator))) }
            if let page = try? decompressor.decompress(codec, mutated) { #expect(page.count == 4096) }
        }
    }
}
