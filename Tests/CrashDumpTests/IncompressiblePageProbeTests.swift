import CDeflate
@testable import CrashDump
import KexecTestSupport
import Testing

struct IncompressiblePageProbeTests {
    static func random(_ count: Int, seed: UInt64) -> [UInt8] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// Bytes where value v < `skewed` is drawn twice as often as the others:
    /// entropy falls smoothly below 8 bits as `skewed` moves away from 0 and 256.
    static func skewed(_ count: Int, skewed: Int, seed: UInt64) -> [UInt8] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            let draw = Int.random(in: 0..<(256 + skewed), using: &generator)
            return UInt8(draw < 256 ? draw : draw - 256)
        }
    }

    func probe(_ page: [UInt8]) throws -> Bool {
        let probe = try #require(IncompressiblePageProbe(pageSize: page.count))
        return page.withUnsafeBytes { probe.isIncompressible($0) }
    }

    /// The smallest zlib stream libdeflate's strongest level makes of `page`, or
    /// the page size when it cannot shrink it.
    func bestDeflateSize(_ page: [UInt8]) -> Int {
        guard let compressor = libdeflate_alloc_compressor(12) else { return 0 }
        defer { libdeflate_free_compressor(compressor) }
        var output = [UInt8](repeating: 0, count: page.count)
        let size = page.withUnsafeBytes { input in
            output.withUnsafeMutableBytes { out in
                libdeflate_zlib_compress(compressor, input.baseAddress, input.count, out.baseAddress, out.count - 1)
            }
        }
        return size == 0 ? page.count : size
    }

    @Test("random pages are found incompressible at 4, 16 and 64 KiB", arguments: [4096, 16384, 65536])
    func randomPages(pageSize: Int) throws {
        for seed in UInt64(1)...8 {
            #expect(try probe(Self.random(pageSize, seed: seed)), "seed \(seed)")
        }
    }

    @Test("pages deflate can shrink are not: text, small alphabets, zero runs, repeated blocks")
    func compressiblePages() throws {
        let random = Self.random(4096, seed: 7)
        let text = Array(String(repeating: "kernel: page allocation failure ", count: 128).utf8.prefix(4096))
        let alphabet64 = random.map { $0 & 0x3f }
        let zeroRun = Array(random.prefix(3840)) + [UInt8](repeating: 0, count: 256)
        let twice = Array(random.prefix(2048)) + Array(random.prefix(2048))
        let shifted = Array(random.prefix(1000)) + Array(random.prefix(3096))  // repeat at offset 1000
        let fourTimes = Array(repeating: Array(random.prefix(1024)), count: 4).flatMap { $0 }
        for (name, page) in [("text", text), ("alphabet64", alphabet64), ("zeroRun", zeroRun), ("twice", twice),
                             ("shifted", shifted), ("fourTimes", fourTimes)] {
            #expect(try !probe(page), "\(name)")
            #expect(bestDeflateSize(page) < 4096 - 4096 / 64, "\(name) should be compressible")
        }
    }

    @Test("what the probe lets through, deflate's best level cannot shrink by more than 1/64")
    func marginHolds() throws {
        var passed = 0
        var rejected = 0
        for skew in stride(from: 0, through: 96, by: 8) {
            for seed in UInt64(1)...4 {
                var page = Self.skewed(4096, skewed: skew, seed: seed &* 1000 &+ UInt64(skew))
                // A few short planted repeats, under the probe's limit.
                for copy in 0..<Int(seed % 3) {
                    let source = 100 + copy * 700
                    page.replaceSubrange(source + 300..<source + 308, with: page[source..<source + 8])
                }
                guard try probe(page) else {
                    rejected += 1
                    continue
                }
                passed += 1
                let best = bestDeflateSize(page)
                #expect(best >= 4096 - 4096 / 64, "skew \(skew) seed \(seed): deflate made \(best) bytes")
            }
        }
        #expect(passed > 4 && rejected > 4, "the sweep should straddle the threshold: \(passed) passed, \(rejected) not")
    }

    @Test("other lengths are answered 'not incompressible'; odd page sizes get no probe")
    func sizes() throws {
        let probe = try #require(IncompressiblePageProbe(pageSize: 4096))
        let short = Self.random(4095, seed: 3)
        #expect(!short.withUnsafeBytes { probe.isIncompressible($0) })
        #expect(!([UInt8]()).withUnsafeBytes { probe.isIncompressible($0) })
        #expect(IncompressiblePageProbe(pageSize: 512) == nil)
        #expect(IncompressiblePageProbe(pageSize: 1 << 17) == nil)
    }

    @Test("zlib pages the probe skips still round-trip; compressible ones still shrink")
    func zlibStillWorks() throws {
        let compressor = try PageCodec.zlib.makeCompressor(pageSize: 4096)
        let decompressor = try PageDecompressor(pageSize: 4096)
        #expect(try compressor.compress(Self.random(4096, seed: 11)) == nil)
        let text = Array(String(repeating: "vmcore ", count: 600).utf8.prefix(4096))
        let compressed = try #require(try compressor.compress(text))
        #expect(compressed.count < 200)
        #expect(try decompressor.decompress(.zlib, compressed) == text)
        // A page level 1 leaves above half its size takes the level 2 path.
        let mixed = Self.skewed(4096, skewed: 0, seed: 5).map { $0 & 0x1f | 0x40 }
        let mixedCompressed = try #require(try compressor.compress(mixed))
        #expect(mixedCompressed.count > 2048)
        #expect(try decompressor.decompress(.zlib, mixedCompressed) == mixed)
    }
}
