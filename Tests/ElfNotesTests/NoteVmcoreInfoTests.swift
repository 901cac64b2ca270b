import Testing
@testable import ElfNotes
import KexecCore

@Suite("VMCOREINFO")
struct NoteVmcoreInfoTests {
    @Test func realisticTextRoundTripsByteForByte() throws {
        let info = VmcoreInfo(parsing: CoreFixtures.vmcoreinfoText)
        #expect(info.text == CoreFixtures.vmcoreinfoText)
        #expect(info.descriptor == Array(CoreFixtures.vmcoreinfoText.utf8))
        #expect(info.malformedLines.isEmpty)
        try info.validate()
        // Through a note and back, with the kernel's padding.
        let note = info.note
        #expect(note.name == "VMCOREINFO" && note.type == 0)
        let decoded = try #require(ElfNote.decode(note.encoded(byteOrder: .big), byteOrder: .big).first)
        #expect(try VmcoreInfo(note: decoded) == info)
        #expect(info.entries.count == CoreFixtures.vmcoreinfoText.split(separator: "\n").count)
    }

    @Test func typedAccessors() {
        let info = VmcoreInfo(parsing: CoreFixtures.vmcoreinfoText)
        #expect(info.osRelease == "6.1.0-56-amd64")
        #expect(info.pageSize == 4096)
        #expect(info.crashTime == 1_700_000_000)
        #expect(info.buildID == "3c1b7c6ae2d1bd67e3d94e4f2cc6e8e7f8a12b34")
        #expect(info.kernelOffset == 0x800_0000)
        #expect(info.symbol("init_top_pgt") == VirtualAddress(0xffff_ffff_8a40_a000))
        #expect(info.symbol("_stext") == VirtualAddress(0xffff_ffff_8900_0000))
        #expect(info.symbol("no_such_symbol") == nil)
        #expect(info.offset("page", "flags") == 0)
        #expect(info.offset("page", "_mapcount") == 48)
        #expect(info.offset("printk_info", "text_len") == 16)
        #expect(info.size("page") == 64)
        #expect(info.size("pglist_data") == 174_528)
        #expect(info.length("mem_section") == 2048)
        #expect(info.length("zone.free_area") == 11)
        #expect(info.number("PAGE_BUDDY_MAPCOUNT_VALUE") == -129)
        #expect(info.number("phys_base") == -1_673_527_296)
        #expect(info.number("pgtable_l5_enabled") == 0)
        // The kernel prints NUMBER(VMALLOC_START) with %lx and a 0x prefix.
        #expect(info.number("VMALLOC_START") == Int64(bitPattern: 0xffff_c900_0000_0000))
        #expect(info.config("SPARSEMEM") == false)
    }

    @Test func unknownKeysAndOrderSurviveEdits() {
        var info = VmcoreInfo(parsing: "OSRELEASE=6.12.0\nX86_FUTURE(thing)=whatever=with=equals\nPAGESIZE=4096\n")
        #expect(info["X86_FUTURE(thing)"] == "whatever=with=equals")
        info["PAGESIZE"] = "65536"
        info.setSymbol("prb", VirtualAddress(0xffff_ffff_8265_6f80))
        info.setNumber("PAGE_BUDDY_MAPCOUNT_VALUE", -268_435_456)
        info.setOffset("page", "flags", 0)
        info.setSize("page", 64)
        info.setLength("node_data", 1024)
        #expect(info.text == """
            OSRELEASE=6.12.0
            X86_FUTURE(thing)=whatever=with=equals
            PAGESIZE=65536
            SYMBOL(prb)=ffffffff82656f80
            NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-268435456
            OFFSET(page.flags)=0
            SIZE(page)=64
            LENGTH(node_data)=1024

            """)
        #expect(info.number("PAGE_BUDDY_MAPCOUNT_VALUE").map { Int32(truncatingIfNeeded: $0) } == Int32(bitPattern: 0xf000_0000))
        info["X86_FUTURE(thing)"] = nil
        #expect(!info.text.contains("X86_FUTURE"))
    }

    /// Lines without '=' are kept verbatim (decision: a capture tool must still read
    /// a damaged VMCOREINFO); validate() names the line.
    @Test func malformedLinesAreKeptAndNamed() {
        let text = "OSRELEASE=6.1.0\nthis line has no equals sign\nPAGESIZE=4096\n"
        let info = VmcoreInfo(parsing: text)
        #expect(info.text == text)
        #expect(info.osRelease == "6.1.0" && info.pageSize == 4096)
        #expect(info.malformedLines.map(\.line) == [2])
        #expect(throws: VmcoreInfoError.malformedLine(line: 2, text: "this line has no equals sign")) {
            try info.validate()
        }
    }

    @Test(arguments: [
        ("SYMBOL(init_top_pgt)=not-hex", "a hex address"),
        ("OFFSET(page.flags)=-1", "an unsigned decimal number"),
        ("SIZE(page)=0x40", "an unsigned decimal number"),
        ("NUMBER(PG_lru)=four", "a signed decimal (or 0x hex) number"),
        ("CRASHTIME=yesterday", "a signed decimal number of seconds"),
        ("KERNELOFFSET=", "a hex address"),
    ])
    func invalidValuesAreNamedByLine(line: String, expected: String) throws {
        let info = VmcoreInfo(parsing: "OSRELEASE=6.1.0\n\(line)\n")
        let equals = try #require(line.firstIndex(of: "="))
        #expect(throws: VmcoreInfoError.invalidValue(line: 2, key: String(line[..<equals]),
                                                     value: String(line[line.index(after: equals)...]), expected: expected)) {
            try info.validate()
        }
    }

    /// The kernel's buffer is 4 KiB: a full one ends in a cut-off line without a newline.
    @Test func truncatedLastLineRoundTrips() {
        let text = "OSRELEASE=6.1.0\nOFFSET(page.fl"
        let info = VmcoreInfo(parsing: text)
        #expect(info.text == text)
        #expect(!info.endsWithNewline)
        #expect(info.malformedLines.map(\.text) == ["OFFSET(page.fl"])
    }

    @Test func descriptorPaddingAndWrongNote() {
        #expect(VmcoreInfo(descriptor: Array("PAGESIZE=4096\n".utf8) + [0, 0]).pageSize == 4096)
        #expect(throws: VmcoreInfoError.notVmcoreinfo(name: "CORE", type: 0)) {
            try VmcoreInfo(note: ElfNote(name: "CORE", type: 0, descriptor: []))
        }
        #expect(VmcoreInfo(parsing: "").text == "")
    }
}
