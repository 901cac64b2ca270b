import Foundation
import SystemPackage
import KexecTestSupport
import Testing
@testable import ElfNotes
@testable import KexecCore

enum ElfFixtures {
    static let directory = FilePath(#filePath).removingLastComponent().appending("Fixtures")
    static var moduleBytes: [UInt8] { get throws { try FileReader.readAll(directory.appending("xt_hl.ko")) } }
}

/// Runs a host tool and returns its standard output, or nil when it is missing.
func runTool(_ arguments: [String]) throws -> String? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return process.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
}

@Suite("ELF files through libelf")
struct ElfObjectTests {
    @Test func realKernelModule() throws {
        let elf = try ElfObject(parsing: try ElfFixtures.moduleBytes)
        #expect(elf.elfClass == .elf64)
        #expect(elf.byteOrder == .little)
        #expect(elf.type == 1)        // ET_REL
        #expect(elf.machine == 62)    // EM_X86_64
        #expect(elf.sections.count == 38)
        #expect(elf.section(named: ".gnu.linkonce.this_module")?.size == 0x380)
        #expect(elf.section(named: ".bss")?.occupiesFile == false)
        #expect(elf.symbols.count == 46)
        let thisModule = try #require(elf.symbols.first { $0.name == "__this_module" })
        #expect(thisModule.size == 896 && thisModule.type == 1 && thisModule.binding == 1 && thisModule.sectionIndex == 29)
        let initModule = try #require(elf.symbols.first { $0.name == "init_module" })
        #expect(initModule.type == 2 && initModule.size == 22)
        #expect(elf.symbols.filter { $0.sectionIndex == 0 && !$0.name.isEmpty }.map(\.name).contains("_printk"))
        let modinfo = try #require(elf.section(named: ".modinfo"))
        let text = String(decoding: elf.contents(of: modinfo), as: UTF8.self)
        #expect(text.contains("license=GPL"))
    }

    /// readelf (binutils) as an independent judge of the section and symbol tables.
    @Test func sectionsAndSymbolsMatchReadelf() throws {
        let path = ElfFixtures.directory.appending("xt_hl.ko").string
        guard let sectionText = try runTool(["readelf", "-S", "-W", path]),
              let symbolText = try runTool(["readelf", "-s", "-W", path]) else {
            Issue.record("readelf (binutils) is required for this test; .ci/run installs it")
            return
        }
        let elf = try ElfObject(parsing: try ElfFixtures.moduleBytes)
        // "  [ 3] .text             PROGBITS        0000000000000000 0000a0 00014d ..."
        var readelfSections: [(Int, String, UInt64, UInt64)] = []
        for line in sectionText.split(separator: "\n") {
            guard let open = line.firstIndex(of: "["), let close = line.firstIndex(of: "]"),
                  let index = Int(line[line.index(after: open)..<close].trimmingCharacters(in: .whitespaces)) else { continue }
            let fields = line[line.index(after: close)...].split(separator: " ")
            if index == 0 {
                readelfSections.append((0, "", 0, 0))
                continue
            }
            guard fields.count >= 6, let offset = UInt64(fields[3], radix: 16), let size = UInt64(fields[4], radix: 16) else { continue }
            readelfSections.append((index, String(fields[0]), offset, size))
        }
        #expect(readelfSections.count == elf.sections.count)
        for (index, name, offset, size) in readelfSections {
            let section = elf.sections[index]
            #expect(section.name == name && section.offset == offset && section.size == size, "section \(index)")
        }
        // "    37: 0000000000000000   896 OBJECT  GLOBAL DEFAULT   29 __this_module"
        var readelfSymbols: [(String, UInt64, UInt64)] = []
        for line in symbolText.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 7, fields[0].hasSuffix(":"), let value = UInt64(fields[1], radix: 16),
                  let size = UInt64(fields[2]) else { continue }
            readelfSymbols.append((fields.count >= 8 ? String(fields[7]) : "", value, size))
        }
        #expect(readelfSymbols.count == elf.symbols.count)
        for (ours, theirs) in zip(elf.symbols, readelfSymbols) {
            #expect(ours.value == theirs.1 && ours.size == theirs.2)
            // readelf names section symbols by the section; ours keep the empty st_name.
            if ours.type != 3 { #expect(ours.name == theirs.0) }
        }
    }

    @Test func notELFAndTruncatedInputGiveTypedErrors() throws {
        let bytes = try ElfFixtures.moduleBytes
        #expect(throws: ElfError.notELF(length: 0)) { try ElfObject(parsing: []) }
        #expect(throws: ElfError.notELF(length: 5)) { try ElfObject(parsing: Array("hello".utf8)) }
        #expect(throws: ElfError.truncated(field: "e_ident", offset: 0, needed: 16, available: 10)) {
            try ElfObject(parsing: Array(bytes[0..<10]))
        }
        #expect(throws: ElfError.truncated(field: "ELF header", offset: 0, needed: 64, available: 40)) {
            try ElfObject(parsing: Array(bytes[0..<40]))
        }
        // The section header table (0x24f0 + 38 x 64 bytes) lies behind the
        // sections; the module signature follows it. Any cut before its end loses it.
        for cut in stride(from: 64, to: 0x24f0 + 38 * 64, by: 97) {
            #expect(throws: ElfError.self) { try ElfObject(parsing: Array(bytes[0..<cut])) }
        }
        var badClass = bytes
        badClass[4] = 3
        #expect(throws: ElfError.unsupportedClass(3)) { try ElfObject(parsing: badClass) }
        var badData = bytes
        badData[5] = 0
        #expect(throws: ElfError.unsupportedByteOrder(0)) { try ElfObject(parsing: badData) }
    }

    @Test func sectionsPastTheEndAreNamed() throws {
        var bytes = try ElfFixtures.moduleBytes
        let elf = try ElfObject(parsing: bytes)
        let text = try #require(elf.section(named: ".text"))
        // Patch .text's sh_size (section header 3, offset 0x20 in a 64-byte Shdr).
        let shoff = 0x24f0
        let sizeField = shoff + 3 * 64 + 0x20
        for i in 0..<8 { bytes[sizeField + i] = i < 4 ? 0xff : 0 }
        #expect {
            try ElfObject(parsing: bytes)
        } throws: { error in
            switch error as? ElfError {
            case .sectionOutOfBounds(3, ".text", text.offset, 0xffff_ffff, _): return true
            case .libelf: return true  // libelf may refuse the extent first; still typed
            default: return false
            }
        }
    }

    @Test func randomCorruptionNeverCrashes() throws {
        let original = try ElfFixtures.moduleBytes
        var rng = SeededGenerator(seed: 99)
        var refused = 0
        for _ in 0..<2000 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...8, using: &rng) {
                // Bias towards the headers, where corruption matters most.
                let index = Bool.random(using: &rng) ? Int.random(in: 0..<64, using: &rng)
                    : Int.random(in: 0x24f0..<bytes.count, using: &rng)
                bytes[index] = UInt8.random(in: 0...255, using: &rng)
            }
            do { _ = try ElfObject(parsing: bytes) } catch { refused += 1 }
        }
        #expect(refused > 0)
    }
}

