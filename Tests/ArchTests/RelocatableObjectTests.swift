import Foundation
import Testing
@testable import ArchI386
@testable import ArchX86_64
@testable import ElfNotes
@testable import KexecCore

/// Our relocator against ld.lld as the independent judge: link the same purgatory
/// object with every section at the address our layout chose, then compare bytes.
@Suite("Relocatable objects")
struct RelocatableObjectTests {
    static func lld() -> String? {
        for candidate in ["/opt/swift/usr/bin/ld.lld", "/usr/bin/ld.lld"] where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return nil
    }

    @Test(arguments: [("x86_64", 0x7ffd_a000 as UInt64), ("i386", 0x1234_5000 as UInt64)])
    func relocationMatchesLLD(arch: String, base: UInt64) throws {
        let objectBytes = arch == "x86_64" ? PurgatoryObjectX86_64.bytes : PurgatoryObjectI386.bytes
        let object = try ElfObject(parsing: objectBytes)
        let relocatable = try RelocatableObject(object)
        let ours = try relocatable.image(at: PhysicalAddress(base))
        guard let lld = Self.lld() else {
            Issue.record("ld.lld (the Swift toolchain's) is needed for this test")
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("reloc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("purgatory.o")
        let output = dir.appendingPathComponent("linked")
        try Data(objectBytes).write(to: input)
        var arguments = ["-static", "-nostdlib", "--no-relax", "-e", "purgatory_start", "-o", output.path, input.path]
        for (index, offset) in relocatable.sectionOffsets {
            arguments.append("--section-start=\(object.sections[index].name)=0x\(String(base + offset, radix: 16))")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: lld)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let linked = try ElfObject(parsing: [UInt8](try Data(contentsOf: output)))
        var compared = 0
        for (index, offset) in relocatable.sectionOffsets where object.sections[index].occupiesFile {
            let name = object.sections[index].name
            let theirs = try #require(linked.section(named: name))
            #expect(theirs.address == base + offset, "\(name) address")
            let mine = Array(ours[Int(offset)..<Int(offset + object.sections[index].size)])
            #expect(mine == Array(linked.contents(of: theirs)), "\(arch) \(name) differs from ld.lld's")
            compared += mine.count
        }
        #expect(compared > 1000)
    }

    @Test func patchesAndErrors() throws {
        let relocatable = try RelocatableObject(try ElfObject(parsing: PurgatoryObjectX86_64.bytes))
        #expect(relocatable.memorySize > relocatable.fileSize, "the stack is .bss")
        #expect(throws: RelocationError.missingSymbol("no_such_symbol")) {
            try relocatable.image(at: 0x100000, patches: ["no_such_symbol": [1]])
        }
        #expect(throws: RelocationError.patchDoesNotFit(symbol: "purgatory_options", size: 8, available: 4)) {
            try relocatable.image(at: 0x100000, patches: ["purgatory_options": [UInt8](repeating: 1, count: 8)])
        }
        // R_X86_64_32 relocations cannot reach above 4 GiB.
        #expect(throws: RelocationError.self) { try relocatable.image(at: 0x1_0000_0000) }
        #expect(throws: RelocationError.notRelocatable(type: 4)) {
            var bytes = PurgatoryObjectX86_64.bytes
            bytes[16] = 4  // ET_CORE
            _ = try RelocatableObject(try ElfObject(parsing: bytes))
        }
    }
}
