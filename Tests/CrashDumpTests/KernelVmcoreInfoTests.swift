import Testing
@testable import CrashDump
import ElfNotes

@Suite("Kernel VMCOREINFO access")
struct KernelVmcoreInfoTests {
    @Test("kernel versions parse from real OSRELEASE strings and compare", arguments: [
        ("6.1.0-56-amd64", KernelVersion(6, 1, 0)),
        ("5.14.0-427.13.1.el9_4.x86_64", KernelVersion(5, 14, 0)),
        ("6.12-rc1", KernelVersion(6, 12, 0)),
        ("2.6.32-754.el6.i686", KernelVersion(2, 6, 32)),
        ("4.19.0", KernelVersion(4, 19, 0)),
        ("7.1.3+", KernelVersion(7, 1, 3)),
    ])
    func versions(release: String, expected: KernelVersion) {
        #expect(KernelVersion(release: release) == expected)
    }

    @Test("not a version")
    func notVersions() {
        for text in ["", "synthetic", "6", "v6.1", "99999999999999999999.1"] {
            #expect(KernelVersion(release: text) == nil, "\(text)")
        }
        #expect(KernelVersion(6, 9) < KernelVersion(6, 10))
        #expect(KernelVersion(2, 6, 39) > KernelVersion(2, 6, 38))
        #expect(KernelVersion(6, 12).description == "6.12.0")
    }

    @Test("typed accessors tell missing from malformed and name the key and purpose")
    func accessors() throws {
        let info = VmcoreInfo(parsing: """
            OSRELEASE=6.1.0-56-amd64
            PAGESIZE=4096
            SYMBOL(mem_section)=ffff8a5e7ffd1000
            OFFSET(page.flags)=0
            SIZE(page)=64
            LENGTH(zone.free_area)=11
            NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129
            NUMBER(PAGE_TYPE_612)=-268435456
            NUMBER(VMALLOC_START)=0xffffc90000000000
            NUMBER(PG_lru)=4
            NUMBER(PG_bad)=64
            SIZE(broken)=-1
            SYMBOL(bad)=xyz

            """)
        #expect(try info.requiredSymbol("mem_section", for: "t") == 0xffff_8a5e_7ffd_1000)
        #expect(try info.requiredOffset("page", "flags", for: "t") == 0)
        #expect(try info.requiredSize("page", for: "t") == 64)
        #expect(try info.requiredLength("zone.free_area", for: "t") == 11)
        #expect(try info.requiredNumber("PAGE_BUDDY_MAPCOUNT_VALUE", for: "t") == -129)
        #expect(try info.presentInt32("PAGE_TYPE_612") == Int32(bitPattern: 0xf000_0000))
        #expect(try info.presentNumber("VMALLOC_START") == Int64(bitPattern: 0xffff_c900_0000_0000))
        #expect(try info.presentBitNumber("PG_lru") == 4)
        #expect(try info.presentSymbol("nothing") == nil)
        #expect(try info.requiredPageSize(for: "t") == 4096)
        #expect(try info.requiredKernelVersion(for: "t") == KernelVersion(6, 1, 0))

        #expect(throws: CrashDumpError.missingVmcoreInfo(key: "SYMBOL(swapper_pg_dir)", purpose: "walking")) {
            try info.requiredSymbol("swapper_pg_dir", for: "walking")
        }
        #expect(throws: CrashDumpError.missingVmcoreInfo(key: "OFFSET(page.mapping)", purpose: "classes")) {
            try info.requiredOffset("page", "mapping", for: "classes")
        }
        #expect(throws: CrashDumpError.invalidVmcoreInfo(key: "SIZE(broken)", value: "-1", reason: "not an unsigned decimal")) {
            try info.presentSize("broken")
        }
        #expect(throws: CrashDumpError.self) { try info.presentSymbol("bad") }
        #expect(throws: CrashDumpError.self) { try info.presentBitNumber("PG_bad") }
        #expect(throws: CrashDumpError.self) { try info.presentInt32("VMALLOC_START") }
        #expect(throws: CrashDumpError.missingVmcoreInfo(key: "OSRELEASE", purpose: "x")) {
            try VmcoreInfo().requiredKernelVersion(for: "x")
        }
    }

    @Test("the buddy value of kernels that did not export it follows the era table")
    func buddyDefaults() {
        #expect(PageDescriptorLayout.defaultBuddyMapcount(for: KernelVersion(2, 6, 37)) == nil)
        #expect(PageDescriptorLayout.defaultBuddyMapcount(for: KernelVersion(2, 6, 38)) == -2)
        #expect(PageDescriptorLayout.defaultBuddyMapcount(for: KernelVersion(3, 10)) == -128)
        #expect(PageDescriptorLayout.defaultBuddyMapcount(for: KernelVersion(5, 4)) == -129)
        #expect(PageDescriptorLayout.defaultBuddyMapcount(for: KernelVersion(6, 12)) == -268_435_456)
    }

    @Test("dump levels: 0...31 with makedumpfile's bits")
    func dumpLevels() {
        #expect(DumpLevel(level: 31) == .all)
        #expect(DumpLevel(level: 32) == nil)
        #expect(DumpLevel(level: -1) == nil)
        #expect(DumpLevel(level: 17) == [.zero, .free])
        #expect(DumpLevel.all.descriptorBits == [.cache, .cachePrivate, .user, .free])
        #expect(DumpLevel(rawValue: 0xff).rawValue == 31)
        #expect(DumpLevel(level: 3)?.description == "3 (zero|cache)")
    }
}
