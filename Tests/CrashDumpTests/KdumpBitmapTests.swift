@testable import CrashDump
import KexecCore
import KexecTestSupport
import Testing

struct KdumpBitmapTests {
    @Test("bits are LSB-first: pfn 0 is bit 0 of byte 0, pfn 9 bit 1 of byte 1")
    func lsbFirst() {
        var bitmap = KdumpBitmap(bitCount: 100)
        bitmap.insert(0)
        bitmap.insert(9)
        bitmap.insert(99)
        let bytes = bitmap.encoded(blockSize: 4096)
        #expect(bytes.count == 4096)
        #expect(bytes[0] == 0x01 && bytes[1] == 0x02 && bytes[12] == 0x08)
        #expect(bytes[13...].allSatisfy { $0 == 0 })
        let decoded = KdumpBitmap(decoding: bytes, bitCount: 100)
        #expect(decoded == bitmap)
        #expect(decoded.contains(9) && !decoded.contains(8) && !decoded.contains(1000))
        #expect(decoded.checkInvariants() == nil)
    }

    @Test("bits past bitCount in the stored bytes are dropped")
    func tail() {
        let decoded = KdumpBitmap(decoding: [UInt8](repeating: 0xff, count: 16), bitCount: 70)
        #expect(decoded.count == 70)
        #expect(decoded.runs == [0..<70])
        #expect(decoded.checkInvariants() == nil)
    }

    @Test("block counts: ceil(ceil(bits / 8) / block)")
    func blocks() {
        #expect(KdumpBitmap.blockCount(bitCount: 0, blockSize: 4096) == 0)
        #expect(KdumpBitmap.blockCount(bitCount: 1, blockSize: 4096) == 1)
        #expect(KdumpBitmap.blockCount(bitCount: 32768, blockSize: 4096) == 1)
        #expect(KdumpBitmap.blockCount(bitCount: 32769, blockSize: 4096) == 2)
    }

    @Test("ranges, runs, counts and rank agree with a naive model")
    func property() {
        var generator = SeededGenerator(seed: 3)
        for _ in 0..<40 {
            let bits = UInt64.random(in: 1...3000, using: &generator)
            var bitmap = KdumpBitmap(bitCount: bits)
            var model = [Bool](repeating: false, count: Int(bits))
            for _ in 0..<20 {
                let a = UInt64.random(in: 0...bits, using: &generator)
                let b = UInt64.random(in: a...min(bits + 10, a + 300), using: &generator)
                let set = Bool.random(using: &generator)
                if set { bitmap.insert(a..<b) } else { bitmap.remove(a..<b) }
                for pfn in a..<min(b, bits) { model[Int(pfn)] = set }
            }
            #expect(bitmap.checkInvariants() == nil)
            #expect(bitmap.count == UInt64(model.filter { $0 }.count))
            let rank = BitmapRank(bitmap)
            var running: UInt64 = 0
            for pfn in 0..<Int(bits) {
                #expect(rank.rank(UInt64(pfn)) == running)
                #expect(bitmap.contains(UInt64(pfn)) == model[pfn])
                if model[pfn] { running += 1 }
            }
            var fromRuns = [Bool](repeating: false, count: Int(bits))
            var previousEnd: UInt64?
            for run in bitmap.runs {
                #expect(!run.isEmpty)
                if let previousEnd { #expect(run.lowerBound > previousEnd) }
                previousEnd = run.upperBound
                for pfn in run { fromRuns[Int(pfn)] = true }
            }
            #expect(fromRuns == model)
            #expect(KdumpBitmap(decoding: bitmap.encoded(blockSize: 4096), bitCount: bits) == bitmap)
            #expect(bitmap.bytes(in: 0..<5) == Array(bitmap.encoded(blockSize: 4096).prefix(5)))
        }
    }

    @Test("page descriptors are 24 bytes: offset u64, size u32, flags u32, page_flags u64")
    func descriptor() throws {
        let descriptor = KdumpPageDescriptor(offset: 0x1122_3344_5566, size: 0x777, flags: 0x20, pageFlags: 9)
        let little = descriptor.encoded(byteOrder: .little)
        #expect(little == [0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0, 0, 0x77, 7, 0, 0, 0x20, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0])
        let big = descriptor.encoded(byteOrder: .big)
        #expect(Array(big[0..<8]) == [0, 0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66])
        #expect(try KdumpPageDescriptor(decoding: big, byteOrder: .big) == descriptor)
        #expect(KdumpPageDescriptor.decodeTable(little + little + [1, 2], byteOrder: .little) == [descriptor, descriptor])
        #expect(throws: CrashDumpError.self) { try KdumpPageDescriptor(decoding: Array(little.prefix(20)), byteOrder: .little) }
    }
}
