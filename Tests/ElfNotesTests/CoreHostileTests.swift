import KexecTestSupport
import Testing
@testable import ElfNotes
import KexecCore

/// Damaged and hostile core files: typed errors naming the field and offset.
@Suite("ELF core reader: hostile input")
struct CoreHostileTests {
    static func open(_ bytes: [UInt8]) throws(ElfCoreError) -> ElfCore {
        try ElfCore(source: InMemoryCoreSource(bytes))
    }

    static func patched<T: FixedWidthInteger>(_ bytes: [UInt8], _ value: T, at offset: Int, order: ByteOrder = .little) -> [UInt8] {
        var copy = bytes
        var writer = ByteWriter(byteOrder: order)
        writer.write(value)
        copy.replaceSubrange(offset..<offset + writer.bytes.count, with: writer.bytes)
        return copy
    }

    @Test func notAnElfCore() throws {
        #expect(throws: ElfCoreError.notELF(length: 0)) { try Self.open([]) }
        #expect(throws: ElfCoreError.notELF(length: 20)) { try Self.open(Array(repeating: 0x41, count: 20)) }
        #expect(throws: ElfCoreError.truncated(field: "e_ident", offset: 0, needed: 16, available: 8)) {
            try Self.open([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0])
        }
        let core = try CoreFixtures.realisticCore()
        #expect(throws: ElfCoreError.truncated(field: "ELF header", offset: 0, needed: 64, available: 40)) {
            try Self.open(Array(core.prefix(40)))
        }
        #expect(throws: ElfCoreError.unsupportedClass(3)) { try Self.open(Self.patched(core, UInt8(3), at: 4)) }
        #expect(throws: ElfCoreError.unsupportedByteOrder(0)) { try Self.open(Self.patched(core, UInt8(0), at: 5)) }
        #expect(throws: ElfCoreError.notCore(type: 2)) { try Self.open(Self.patched(core, UInt16(2), at: 16)) }
    }

    @Test func programHeaderTablePastTheEnd() throws {
        let core = try CoreFixtures.realisticCore()
        #expect(throws: ElfCoreError.truncated(field: "program header table (e_phoff, e_phnum)", offset: 64,
                                               needed: 56 * 4, available: 100)) {
            try Self.open(Array(core.prefix(164)))
        }
        #expect(throws: ElfCoreError.truncated(field: "program header table (e_phoff, e_phnum)", offset: UInt64.max - 10,
                                               needed: 56 * 4, available: 0)) {
            try Self.open(Self.patched(core, UInt64.max - 10, at: 32))
        }
        #expect(throws: ElfCoreError.invalidField(field: "e_phentsize", offset: 54, value: 32, reason: "expected 56")) {
            try Self.open(Self.patched(core, UInt16(32), at: 54))
        }
        #expect(throws: ElfCoreError.invalidField(field: "e_shoff", offset: 40, value: 0,
                                                  reason: "e_phnum is PN_XNUM (0xffff) but there is no section header 0")) {
            try Self.open(Self.patched(core, UInt16(0xffff), at: 56))
        }
    }

    @Test func hostileSegments() throws {
        let core = try CoreFixtures.realisticCore()
        let note = 64          // program header 0 (PT_NOTE)
        let load = 64 + 56     // program header 1 (PT_LOAD)
        #expect(throws: ElfCoreError.noteSegmentTooLarge(index: 0, size: 1 << 40, limit: ElfCore.noteSegmentLimit)) {
            try Self.open(Self.patched(core, UInt64(1) << 40, at: note + 32))
        }
        #expect(throws: ElfCoreError.truncated(field: "program header 0 (PT_NOTE) contents", offset: 0x120,
                                               needed: 0x10_0000, available: UInt64(core.count) - 0x120)) {
            try Self.open(Self.patched(core, UInt64(0x10_0000), at: note + 32))
        }
        #expect(throws: ElfCoreError.invalidField(field: "program header 1 p_filesz", offset: UInt64(load), value: 0x2000,
                                                  reason: "larger than p_memsz 0x10")) {
            try Self.open(Self.patched(core, UInt64(0x10), at: load + 40))
        }
        #expect(throws: ElfCoreError.self) {
            try Self.open(Self.patched(Self.patched(core, UInt64.max - 0x100, at: load + 24), UInt64.max, at: load + 40))
        }
    }

    /// A dump cut short (full disk): the headers and notes still read, the PT_LOAD
    /// is reported, and reading past the end names the address and file offset.
    @Test func truncatedDumpStillOpens() throws {
        let full = try CoreFixtures.realisticCore()
        let core = try Self.open(Array(full.prefix(0x2000)))
        #expect(try core.cpuStatuses().count == 2)
        #expect(core.truncatedLoads.map(\.index) == [1, 2, 3])
        #expect(try core.readPhysical(at: 0x1000, count: 0x1000).count == 0x1000)
        #expect(throws: ElfCoreError.truncatedDump(address: 0x2000, fileOffset: 0x2000, fileSize: 0x2000)) {
            try core.readPhysical(at: 0x1800, count: 0x1000)
        }
    }

    @Test func damagedNotesBecomeWarnings() throws {
        let core = try CoreFixtures.realisticCore()
        // n_descsz of the first note (file offset 0x120 + 4) far too large.
        let damaged = try Self.open(Self.patched(core, UInt32(0x10_0000), at: 0x124))
        #expect(damaged.notes.notes.isEmpty)
        #expect(damaged.notes.warnings.count == 2)
        #expect(damaged.notes.warnings.first?.description.contains("byte offset 288") == true)
        // A PRSTATUS of the wrong size is a typed error when decoded.
        let wrongSize = ElfNote(name: "CORE", type: 1, descriptor: Array(repeating: 0, count: 100))
        let bytes = try ElfCoreWriter(architecture: .x86_64, noteSegments: [wrongSize.encoded(byteOrder: .little)], loads: []).bytes()
        #expect(throws: ElfCoreError.note(.descriptorSize(note: "NT_PRSTATUS (x86_64)", expected: 336, actual: 100))) {
            try Self.open(bytes).cpuStatuses()
        }
        // An unknown machine cannot have its registers decoded.
        let arm = Self.patched(try CoreFixtures.realisticCore(), UInt16(183), at: 18)
        #expect(throws: ElfCoreError.unsupportedMachine(183)) { try Self.open(arm).cpuStatuses() }
    }

    @Test func randomDamageNeverCrashes() throws {
        let valid = try CoreFixtures.realisticCore()
        var generator = SeededGenerator(seed: 0xc0de_0002)
        for _ in 0..<500 {
            var bytes = valid
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                // Mostly the headers and notes, where the structure is.
                let limit = Bool.random(using: &generator) ? 0x200 : bytes.count
                bytes[Int.random(in: 0..<limit, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            if Int.random(in: 0..<4, using: &generator) == 0 {
                bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &generator)))
            }
            guard let core = try? Self.open(bytes) else { continue }
            _ = try? core.cpuStatuses()
            _ = core.vmcoreInfo?.text
            for load in core.loads.prefix(4) {
                _ = try? core.readPhysical(at: load.physical.lowerBound, count: Int(min(load.physical.size, 0x100)))
            }
        }
    }
}
