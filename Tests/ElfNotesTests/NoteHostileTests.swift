import KexecTestSupport
import Testing
@testable import ElfNotes
import KexecCore

/// Hostile and damaged note blobs: typed errors with the byte offset, never a
/// crash, a hang or an allocation sized by a hostile field.
@Suite("ELF notes: hostile input")
struct NoteHostileTests {
    static let good = ElfNote(name: "CORE", type: 1, descriptor: Array(repeating: 0xab, count: 16))

    /// A header (n_namesz, n_descsz, n_type) in little-endian order.
    static func header(_ namesz: UInt32, _ descsz: UInt32, _ type: UInt32) -> [UInt8] {
        var writer = ByteWriter(byteOrder: .little)
        writer.write(namesz)
        writer.write(descsz)
        writer.write(type)
        return writer.bytes
    }

    @Test func aHundredThousandNotesAreRefusedQuickly() throws {
        let one = ElfNote(name: "A", type: 1, descriptor: []).encoded(byteOrder: .little)
        var blob: [UInt8] = []
        blob.reserveCapacity(one.count * 100_000)
        for _ in 0..<100_000 { blob += one }
        #expect {
            try ElfNoteBlob(parsing: blob, byteOrder: .little)
        } throws: { error in
            guard case .tooManyNotes(let offset, 65_536)? = error as? ElfNoteError else { return false }
            return offset == UInt64(65_536 * one.count)
        }
        // Just under the limit is fine.
        let fine = Array(blob[0..<(one.count * 65_536)])
        #expect(try ElfNoteBlob(parsing: fine, byteOrder: .little).notes.count == 65_536)
    }

    @Test func zeroSizeBlob() {
        #expect(throws: ElfNoteError.emptyBlob(offset: 0x200)) {
            try ElfNoteBlob(parsing: [], byteOrder: .little, baseOffset: 0x200)
        }
    }

    @Test func misalignedBlob() {
        let bytes = Self.good.encoded(byteOrder: .little) + [0]
        #expect(throws: ElfNoteError.misaligned(offset: 0, length: bytes.count)) {
            try ElfNoteBlob(parsing: bytes, byteOrder: .little)
        }
    }

    @Test func nameSizePastTheEnd() {
        let first = Self.good.encoded(byteOrder: .little)
        let bytes = first + Self.header(0x40, 0, 1) + Array("CORE".utf8)
        #expect(throws: ElfNoteError.nameOutOfBounds(offset: UInt64(first.count), namesz: 0x40, available: 4)) {
            try ElfNoteBlob(parsing: bytes, byteOrder: .little)
        }
        // The offset is reported in file terms when a base is given.
        #expect(throws: ElfNoteError.nameOutOfBounds(offset: 0x1000 + UInt64(first.count), namesz: 0x40, available: 4)) {
            try ElfNoteBlob(parsing: bytes, byteOrder: .little, baseOffset: 0x1000)
        }
    }

    @Test func hugeNameAndDescriptorSizes() {
        let bytes = Self.header(0xffff_ffff, 0, 1) + [0, 0, 0, 0]
        #expect(throws: ElfNoteError.nameOutOfBounds(offset: 0, namesz: 0xffff_ffff, available: 4)) {
            try ElfNoteBlob(parsing: bytes, byteOrder: .little)
        }
        let descriptor = Self.header(5, 0xffff_fff0, 1) + Array("CORE\0\0\0\0".utf8) + [1, 2, 3, 4]
        #expect(throws: ElfNoteError.descriptorOutOfBounds(offset: 0, name: "CORE", descsz: 0xffff_fff0, available: 4)) {
            try ElfNoteBlob(parsing: descriptor, byteOrder: .little)
        }
        // 0xffffffff padded to 4 does not wrap around to 0.
        let wrapping = Self.header(5, 0xffff_ffff, 1) + Array("CORE\0\0\0\0".utf8)
        #expect(throws: ElfNoteError.descriptorOutOfBounds(offset: 0, name: "CORE", descsz: 0xffff_ffff, available: 0)) {
            try ElfNoteBlob(parsing: wrapping, byteOrder: .little)
        }
    }

    /// The kernel stops at the first n_namesz == 0; what follows is not read.
    @Test func zeroNameSizeMidBlobEndsTheWalk() throws {
        let first = Self.good.encoded(byteOrder: .little)
        let garbage = Self.header(0, 0x7fff_ffff, 9) + Self.header(0xffff_ffff, 1, 1)
        let blob = try ElfNoteBlob(parsing: first + garbage + first, byteOrder: .little)
        #expect(blob.notes == [Self.good])
        #expect(blob.ending == .terminator(offset: first.count))
        #expect(blob.length == first.count)
    }

    @Test func truncatedHeader() {
        let first = Self.good.encoded(byteOrder: .little)
        #expect(throws: ElfNoteError.truncatedHeader(offset: UInt64(first.count), available: 8)) {
            try ElfNoteBlob(parsing: first + [5, 0, 0, 0, 0, 0, 0, 0], byteOrder: .little)
        }
        #expect(throws: ElfNoteError.truncatedHeader(offset: 0, available: 4)) {
            try ElfNoteBlob(parsing: [5, 0, 0, 0], byteOrder: .little)
        }
    }

    @Test func zeroPaddingShorterThanAHeaderIsAccepted() throws {
        let first = Self.good.encoded(byteOrder: .little)
        let blob = try ElfNoteBlob(parsing: first + [0, 0, 0, 0, 0, 0, 0, 0], byteOrder: .little)
        #expect(blob.notes == [Self.good])
        #expect(blob.ending == .zeroPadding(offset: first.count))
    }

    @Test func truncatedDescriptorPadding() {
        // A 5-byte descriptor must be followed by 3 padding bytes, as the kernel
        // counts the padded size against p_memsz.
        let bytes = Self.header(5, 5, 1) + Array("CORE\0\0\0\0".utf8) + [1, 2, 3, 4]
        #expect(throws: ElfNoteError.descriptorOutOfBounds(offset: 0, name: "CORE", descsz: 5, available: 4)) {
            try ElfNoteBlob(parsing: bytes, byteOrder: .little)
        }
    }

    @Test func wrongDescriptorSizeForPrstatus() throws {
        let note = ElfNote(name: "CORE", type: 1, descriptor: Array(repeating: 0, count: 144))
        #expect(throws: ElfNoteError.descriptorSize(note: "NT_PRSTATUS (x86_64)", expected: 336, actual: 144)) {
            try PrStatus(note: note, architecture: .x86_64, byteOrder: .little)
        }
        #expect(throws: ElfNoteError.self) {
            try PrStatus(note: ElfNote(name: "LINUX", type: 1, descriptor: []), architecture: .x86_64, byteOrder: .little)
        }
        #expect(throws: ElfNoteError.descriptorSize(note: "NT_PRPSINFO (i386)", expected: 124, actual: 3)) {
            try PrPsInfo(parsing: [1, 2, 3], architecture: .i386, byteOrder: .little)
        }
    }

    /// Random damage to a valid blob: every outcome is notes or an ElfNoteError,
    /// and merging the same bytes never fails.
    @Test func randomDamageNeverCrashes() {
        let notes = CoreFixtures.realisticNotes()
        let valid = ElfNote.encode(notes, byteOrder: .little, terminated: true)
        var generator = SeededGenerator(seed: 0x5eed_0001)
        var decoded = 0
        var rejected = 0
        for _ in 0..<2000 {
            var bytes = valid
            for _ in 0..<Int.random(in: 1...6, using: &generator) {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                bytes[index] = UInt8.random(in: 0...255, using: &generator)
            }
            let cut = Int.random(in: 0...bytes.count, using: &generator)
            let damaged = Bool.random(using: &generator) ? Array(bytes.prefix(cut)) : bytes
            do {
                let blob = try ElfNoteBlob(parsing: damaged, byteOrder: .little)
                #expect(blob.length <= damaged.count)
                decoded += 1
            } catch {
                rejected += 1
            }
            let merged = ElfNote.merge([damaged], byteOrder: .little)
            #expect(merged.bytes.count <= damaged.count)
            #expect((try? ElfNote.decode(merged.bytes.isEmpty ? ElfNote.terminator : merged.bytes, byteOrder: .little)) == merged.notes)
        }
        #expect(decoded > 0 && rejected > 0)
    }
}
