import CrashDump
import KexecCore
import Testing

struct KdumpHeaderTests {
    static func sample() -> KdumpHeader {
        KdumpHeader(utsname: KdumpUtsname(nodename: "host", release: "6.1.0", version: "#1 SMP", machine: "x86_64"),
                    timestampSeconds: 1_700_000_123, timestampMicroseconds: 456_789, status: [.zstd],
                    blockSize: 4096, subHeaderBlocks: 1, bitmapBlocks: 2, maxMapnr32: 4096, cpuCount: 4)
    }

    @Test("LP64 field offsets are makedumpfile's (464-byte header)")
    func lp64Offsets() throws {
        let layout = KdumpHeaderLayout(architecture: .x86_64)
        let bytes = try Self.sample().encoded(layout: layout)
        #expect(bytes.count == 464)
        let reader = ByteReader(bytes, byteOrder: .little)
        #expect(Array(bytes[0..<8]) == Array("KDUMP   ".utf8))
        #expect(try reader.peek(Int32.self, at: 8, field: "") == 6)
        #expect(Array(bytes[12..<18]) == Array("Linux\0".utf8))
        #expect(Array(bytes[12 + 4 * 65..<12 + 4 * 65 + 6]) == Array("x86_64".utf8))
        #expect(try reader.peek(Int64.self, at: 408, field: "") == 1_700_000_123)
        #expect(try reader.peek(Int64.self, at: 416, field: "") == 456_789)
        #expect(try reader.peek(UInt32.self, at: 424, field: "") == 0x20)
        #expect(try reader.peek(Int32.self, at: 428, field: "") == 4096)
        #expect(try reader.peek(Int32.self, at: 432, field: "") == 1)
        #expect(try reader.peek(UInt32.self, at: 436, field: "") == 2)
        #expect(try reader.peek(UInt32.self, at: 440, field: "") == 4096)
        #expect(try reader.peek(Int32.self, at: 460, field: "") == 4)
    }

    @Test("ILP32 (i386, ppc32) header offsets: timestamp 404, status 412, block_size 416, 452 bytes")
    func ilp32Offsets() throws {
        var header = Self.sample()
        header.utsname.machine = "i686"
        let bytes = try header.encoded(layout: KdumpHeaderLayout(architecture: .i386))
        #expect(bytes.count == 452)
        let reader = ByteReader(bytes, byteOrder: .little)
        #expect(try reader.peek(Int32.self, at: 404, field: "") == 1_700_000_123)
        #expect(try reader.peek(UInt32.self, at: 412, field: "") == 0x20)
        #expect(try reader.peek(Int32.self, at: 416, field: "") == 4096)
        #expect(try reader.peek(Int32.self, at: 448, field: "") == 4)
        // A 64-bit timestamp does not fit.
        header.timestampSeconds = 1 << 40
        #expect(throws: CrashDumpError.self) { try header.encoded(layout: KdumpHeaderLayout(architecture: .i386)) }
    }

    @Test("headers round-trip and the layout is detected", arguments: KexecArchitecture.allCases)
    func roundTrip(architecture: KexecArchitecture) throws {
        var header = Self.sample()
        header.utsname.machine = switch architecture {
        case .x86_64: "x86_64"
        case .i386: "i686"
        case .ppc64: "ppc64"
        case .ppc64le: "ppc64le"
        case .ppc: "ppc"
        }
        let layout = KdumpHeaderLayout(architecture: architecture)
        let bytes = try header.encoded(layout: layout) + [UInt8](repeating: 0, count: 100)
        #expect(try KdumpHeader.detectLayout(bytes) == layout)
        #expect(try KdumpHeader(decoding: bytes, layout: layout) == header)
    }

    @Test("an unknown machine name still gets its byte order and word size from the fields")
    func unknownMachine() throws {
        var header = Self.sample()
        header.utsname.machine = "weird64"
        for order in ByteOrder.allCases {
            let layout = KdumpHeaderLayout(model: .lp64, byteOrder: order)
            #expect(try KdumpHeader.detectLayout(try header.encoded(layout: layout)) == layout)
        }
    }

    @Test("sub-header offsets: LP64 104 bytes, i386 80 (packed), ppc32 96 (aligned)")
    func subHeaderOffsets() throws {
        let sub = KdumpSubHeader(physBase: 0x1000000, dumpLevel: 31, split: 0, vmcoreInfoOffset: 0x1234,
                                 vmcoreInfoSize: 0x99, noteOffset: 4096 + 104, noteSize: 0x500, eraseInfoOffset: 0x9000,
                                 eraseInfoSize: 0x10, startPFN: 0, endPFN: 0, maxMapnr: 0x1_2345_6789)
        let lp64 = try sub.encoded(layout: KdumpHeaderLayout(architecture: .x86_64))
        #expect(lp64.count == 104)
        let r = ByteReader(lp64, byteOrder: .little)
        #expect(try r.peek(UInt64.self, at: 0, field: "") == 0x1000000)
        #expect(try r.peek(Int32.self, at: 8, field: "") == 31)
        #expect(try r.peek(UInt64.self, at: 32, field: "") == 0x1234)
        #expect(try r.peek(UInt64.self, at: 48, field: "") == 4096 + 104)
        #expect(try r.peek(UInt64.self, at: 56, field: "") == 0x500)
        #expect(try r.peek(UInt64.self, at: 96, field: "") == 0x1_2345_6789)

        let packed = try sub.encoded(layout: KdumpHeaderLayout(architecture: .i386))
        #expect(packed.count == 80)
        let p = ByteReader(packed, byteOrder: .little)
        #expect(try p.peek(UInt64.self, at: 20, field: "") == 0x1234)
        #expect(try p.peek(UInt64.self, at: 32, field: "") == 4096 + 104)
        #expect(try p.peek(UInt32.self, at: 40, field: "") == 0x500)
        #expect(try p.peek(UInt64.self, at: 72, field: "") == 0x1_2345_6789)

        let aligned = try sub.encoded(layout: KdumpHeaderLayout(architecture: .ppc))
        #expect(aligned.count == 96)
        let a = ByteReader(aligned, byteOrder: .big)
        #expect(try a.peek(UInt64.self, at: 24, field: "") == 0x1234)
        #expect(try a.peek(UInt64.self, at: 40, field: "") == 4096 + 104)
        #expect(try a.peek(UInt64.self, at: 88, field: "") == 0x1_2345_6789)

        for architecture in KexecArchitecture.allCases {
            let layout = KdumpHeaderLayout(architecture: architecture)
            #expect(try KdumpSubHeader(decoding: try sub.encoded(layout: layout), layout: layout, headerVersion: 6) == sub)
        }
        // Fields newer than the version read as zero.
        let v3 = try KdumpSubHeader(decoding: lp64, layout: KdumpHeaderLayout(architecture: .x86_64), headerVersion: 3)
        #expect(v3.vmcoreInfoOffset == 0x1234 && v3.noteOffset == 0 && v3.maxMapnr == 0)
        // A 64-bit size does not fit a 32-bit layout.
        var big = sub
        big.noteSize = 1 << 33
        #expect(throws: CrashDumpError.self) { try big.encoded(layout: KdumpHeaderLayout(architecture: .i386)) }
    }

    @Test("hostile headers give errors naming the field")
    func hostile() throws {
        let layout = KdumpHeaderLayout(architecture: .x86_64)
        let good = try Self.sample().encoded(layout: layout)
        #expect(throws: CrashDumpError.truncated(field: "disk_dump_header", offset: 0, needed: 464, available: 100)) {
            try KdumpHeader(decoding: Array(good.prefix(100)), layout: layout)
        }
        var bad = good
        bad.replaceSubrange(0..<8, with: Array("NOTADUMP".utf8))
        #expect(throws: CrashDumpError.self) { try KdumpHeader(decoding: bad, layout: layout) }
        for blockSize: Int32 in [0, 1000, 2048, 4097, 1 << 20, -4096] {
            var bytes = good
            bytes.patch(blockSize, at: 428)
            guard case .failure(.invalidField(let field, let offset, _, _)) = capture({ () throws(CrashDumpError) in try KdumpHeader(decoding: bytes, layout: layout) }) else {
                Issue.record("block size \(blockSize) accepted")
                continue
            }
            #expect(field == "block_size" && offset == 428)
        }
        var small = good
        small.patch(UInt32(0), at: 436)  // bitmap_blocks 0 cannot hold max_mapnr 4096
        #expect(throws: CrashDumpError.self) { try KdumpHeader(decoding: small, layout: layout) }
        var negative = good
        negative.patch(Int32(-1), at: 8)
        #expect(throws: CrashDumpError.self) { try KdumpHeader(decoding: negative, layout: layout) }
        // Nothing plausible in either byte order.
        var garbage = good
        garbage.patch(Int32(12345), at: 428)
        #expect(throws: CrashDumpError.self) { try KdumpHeader.detectLayout(garbage) }
    }

    @Test("utsname fields are cut to 64 bytes and NUL-padded")
    func utsname() {
        let long = String(repeating: "x", count: 100)
        let encoded = KdumpUtsname(nodename: long).encoded
        #expect(encoded.count == 390)
        #expect(encoded[65 + 63] == UInt8(ascii: "x") && encoded[65 + 64] == 0)
    }

    @Test("geometry follows makedumpfile's arithmetic")
    func geometry() throws {
        let geometry = try KdumpFileGeometry(layout: KdumpHeaderLayout(architecture: .x86_64), blockSize: 4096,
                                             maxMapnr: 0x1000, noteSize: 5000)
        #expect(geometry.subHeaderBlocks == 2)  // ceil((104 + 5000) / 4096)
        #expect(geometry.bitmapBlocksEach == 1)  // 4096 bits = 512 bytes
        #expect(geometry.noteOffset == 4096 + 104)
        #expect(geometry.firstBitmapOffset == 3 * 4096)
        #expect(geometry.secondBitmapOffset == 4 * 4096)
        #expect(geometry.descriptorTableOffset == 5 * 4096)
        #expect(geometry.dataOffset(dumpedPages: 10) == 5 * 4096 + 240)
        #expect(throws: CrashDumpError.self) {
            try KdumpFileGeometry(layout: KdumpHeaderLayout(architecture: .x86_64), blockSize: 3000, maxMapnr: 1, noteSize: 0)
        }
    }
}
