import Testing
@testable import ElfNotes
import KexecCore

/// Merging PT_NOTE blobs as fs/proc/vmcore.c does.
@Suite("ELF notes: merging like the capture kernel")
struct NoteMergeTests {
    /// A per-CPU crash_notes buffer as the kernel leaves it: the CPU's note, the
    /// empty terminating note, zeros up to crash_notes_size.
    static func crashNotesBuffer(_ note: ElfNote, byteOrder: ByteOrder, size: Int) -> [UInt8] {
        let bytes = ElfNote.encode([note], byteOrder: byteOrder, terminated: true)
        return bytes + Array(repeating: 0, count: max(0, size - bytes.count))
    }

    @Test(arguments: [KexecArchitecture.x86_64, .i386, .ppc64, .ppc64le, .ppc])
    func mergesElfcorehdrSegmentsIntoRealNotesOnly(architecture: KexecArchitecture) throws {
        let order = architecture.byteOrder
        let registers = NoteEncodingTests.registers(architecture, ip: 0x1000, sp: 0x2000)
        let cpu0 = PrStatus(pid: 10, registers: registers).note(byteOrder: order)
        let cpu1 = PrStatus(pid: 11, registers: registers).note(byteOrder: order)
        let info = VmcoreInfo(parsing: CoreFixtures.vmcoreinfoText).note
        let blobs = [
            Self.crashNotesBuffer(cpu0, byteOrder: order, size: 0x400),
            Self.crashNotesBuffer(cpu1, byteOrder: order, size: 0x400),
            Self.crashNotesBuffer(info, byteOrder: order, size: 0x1000),
        ]
        let merged = ElfNote.merge(blobs, byteOrder: order)
        #expect(merged.bytes == ElfNote.encode([cpu0, cpu1, info], byteOrder: order))
        #expect(merged.notes == [cpu0, cpu1, info])
        #expect(merged.warnings.isEmpty)
        // Already-merged notes (/proc/vmcore's single PT_NOTE) merge to themselves.
        #expect(ElfNote.merge([merged.bytes], byteOrder: order).bytes == merged.bytes)
    }

    @Test func oversizedNoteIsDroppedWithAWarningLikeTheKernel() {
        let good = ElfNote(name: "CORE", type: 1, descriptor: [1, 2, 3, 4])
        let first = ElfNote.encode([good], byteOrder: .little)
        var writer = ByteWriter(byteOrder: .little)
        writer.write(UInt32(5))
        writer.write(UInt32(0x1000))
        writer.write(UInt32(1))
        let damaged = first + writer.bytes + Array("CORE\0\0\0\0".utf8)
        let merged = ElfNote.merge([damaged[...], ElfNote.encode([good], byteOrder: .little)[...]],
                                   byteOrder: .little, baseOffsets: [0x100, 0x200])
        #expect(merged.notes == [good, good])
        #expect(merged.bytes == first + first)
        #expect(merged.warnings == [ElfNoteMergeWarning(segment: 0, kind: .dropped(
            .descriptorOutOfBounds(offset: 0x100 + UInt64(first.count), name: "CORE", descsz: 0x1000, available: 0)))])
    }

    @Test func emptySegmentsAreReported() {
        let merged = ElfNote.merge([[], ElfNote.terminator], byteOrder: .big)
        #expect(merged.bytes.isEmpty)
        #expect(merged.warnings.map(\.kind) == [.noNotes, .noNotes])
    }
}
