import Testing
@testable import ElfNotes
import KexecCore

/// Notes byte for byte against hand-computed fixtures.
@Suite("ELF notes: encoding and decoding")
struct NoteEncodingTests {
    static let core5 = ElfNote(name: "CORE", type: 1, descriptor: [1, 2, 3, 4, 5])
    static let info = ElfNote(name: "VMCOREINFO", type: 0, descriptor: Array("A=1\n".utf8))

    @Test func coreNoteLittleEndian() throws {
        // namesz 5 ("CORE\0"), descsz 5, type 1; name padded to 8, descriptor to 8.
        let expected = CoreFixtures.hex("""
            05000000 05000000 01000000 434f5245 00000000 0102030405 000000
            """)
        #expect(Self.core5.encoded(byteOrder: .little) == expected)
        #expect(Self.core5.encodedSize == 28)
        #expect(try ElfNote.decode(expected, byteOrder: .little) == [Self.core5])
    }

    @Test func coreNoteBigEndian() throws {
        let expected = CoreFixtures.hex("""
            00000005 00000005 00000001 434f5245 00000000 0102030405 000000
            """)
        #expect(Self.core5.encoded(byteOrder: .big) == expected)
        #expect(try ElfNote.decode(expected, byteOrder: .big) == [Self.core5])
    }

    /// VMCOREINFO: namesz 11 padded to 12; a 4-byte descriptor needs no padding.
    @Test func vmcoreinfoNoteWithTerminatorBothOrders() throws {
        let little = CoreFixtures.hex("""
            0b000000 04000000 00000000 564d434f 5245494e 464f0000 413d310a
            05000000 05000000 01000000 434f5245 00000000 0102030405 000000
            00000000 00000000 00000000
            """)
        let big = CoreFixtures.hex("""
            0000000b 00000004 00000000 564d434f 5245494e 464f0000 413d310a
            00000005 00000005 00000001 434f5245 00000000 0102030405 000000
            00000000 00000000 00000000
            """)
        #expect(ElfNote.encode([Self.info, Self.core5], byteOrder: .little, terminated: true) == little)
        #expect(ElfNote.encode([Self.info, Self.core5], byteOrder: .big, terminated: true) == big)
        let blob = try ElfNoteBlob(parsing: big, byteOrder: .big)
        #expect(blob.notes == [Self.info, Self.core5])
        #expect(blob.offsets == [0, 28])
        #expect(blob.length == 56)
        #expect(blob.ending == .terminator(offset: 56))
    }

    @Test func emptyNameAndEmptyDescriptor() throws {
        let note = ElfNote(name: "", type: 7, descriptor: [])
        let expected = CoreFixtures.hex("01000000 00000000 07000000 00000000")
        #expect(note.encoded(byteOrder: .little) == expected)
        #expect(try ElfNote.decode(expected, byteOrder: .little) == [note])
    }

    /// The descriptor offsets of the fields every consumer relies on, in a whole
    /// encoded note (header 12 + "CORE\0" padded to 8 = descriptor at 20).
    @Test(arguments: [
        // architecture, n_descsz, pid offset, IP offset, SP offset, word size
        (KexecArchitecture.x86_64, 336, 32, 112 + 16 * 8, 112 + 19 * 8, 8),
        (.i386, 144, 24, 72 + 12 * 4, 72 + 15 * 4, 4),
        (.ppc64, 504, 32, 112 + 32 * 8, 112 + 1 * 8, 8),
        (.ppc64le, 504, 32, 112 + 32 * 8, 112 + 1 * 8, 8),
        (.ppc, 268, 24, 72 + 32 * 4, 72 + 1 * 4, 4),
    ])
    func prstatusNoteLayoutInBothClasses(architecture: KexecArchitecture, size: Int, pidOffset: Int, ipOffset: Int,
                                          spOffset: Int, wordSize: Int) throws {
        let byteOrder = architecture.byteOrder
        var status = PrStatus(pid: 0x1234_5678, registers: Self.registers(architecture, ip: 0xc0de_0000, sp: 0x5ac))
        status.fpValid = 1
        let bytes = status.note(byteOrder: byteOrder).encoded(byteOrder: byteOrder)
        #expect(bytes.count == 12 + 8 + size)
        let reader = ByteReader(bytes, byteOrder: byteOrder)
        #expect(try reader.peek(UInt32.self, at: 0, field: "n_namesz") == 5)
        #expect(try reader.peek(UInt32.self, at: 4, field: "n_descsz") == UInt32(size))
        #expect(try reader.peek(UInt32.self, at: 8, field: "n_type") == 1)
        #expect(Array(bytes[12..<20]) == Array("CORE\0\0\0\0".utf8))
        #expect(try reader.peek(Int32.self, at: 20 + pidOffset, field: "pr_pid") == 0x1234_5678)
        if wordSize == 8 {
            #expect(try reader.peek(UInt64.self, at: 20 + ipOffset, field: "ip") == 0xc0de_0000)
            #expect(try reader.peek(UInt64.self, at: 20 + spOffset, field: "sp") == 0x5ac)
        } else {
            #expect(try reader.peek(UInt32.self, at: 20 + ipOffset, field: "ip") == 0xc0de_0000)
            #expect(try reader.peek(UInt32.self, at: 20 + spOffset, field: "sp") == 0x5ac)
        }
        let layout = PrStatusLayout(architecture)
        #expect(try reader.peek(Int32.self, at: 20 + layout.fpvalidOffset, field: "pr_fpvalid") == 1)
        let decoded = try PrStatus(note: try #require(ElfNote.decode(bytes, byteOrder: byteOrder).first),
                                   architecture: architecture, byteOrder: byteOrder)
        #expect(decoded == status)
        #expect(decoded.registers.instructionPointer == 0xc0de_0000)
        #expect(decoded.registers.stackPointer == 0x5ac)
    }

    static func registers(_ architecture: KexecArchitecture, ip: UInt64, sp: UInt64) -> RegisterSet {
        switch architecture {
        case .x86_64:
            var registers = X86_64Registers()
            registers.rip = ip
            registers.rsp = sp
            return .x86_64(registers)
        case .i386:
            var registers = I386Registers()
            registers.eip = UInt32(ip)
            registers.esp = UInt32(sp)
            return .i386(registers)
        case .ppc64, .ppc64le, .ppc:
            var registers = PowerPCRegisters()
            registers.nip = ip
            registers.gpr[1] = sp
            return architecture == .ppc ? .ppc32(registers) : .ppc64(registers)
        }
    }
}
