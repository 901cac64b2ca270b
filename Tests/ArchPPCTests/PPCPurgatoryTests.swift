import Foundation
import Testing
@testable import ArchPPC
@testable import ElfNotes
@testable import KexecCore

/// The embedded PowerPC purgatories: our relocator against ld.lld linking the
/// same object at the same addresses (with `.got` where our TOC rule puts it),
/// the symbol ABI, and relocations we must refuse.
@Suite("PowerPC purgatory")
struct PPCPurgatoryTests {
    static let cases: [(KexecArchitecture, UInt64)] = [
        (.ppc64le, 0x2a1_0000), (.ppc64, 0x7fff_0000), (.ppc64le, 0x1_2345_0000), (.ppc, 0x0123_4000),
    ]

    static func lld() -> String? {
        ["/opt/swift/usr/bin/ld.lld", "/usr/bin/ld.lld"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    @Test(arguments: cases)
    func relocationMatchesLLD(architecture: KexecArchitecture, base: UInt64) throws {
        let objectBytes = try #require(PPCPurgatory.objectBytes(for: architecture))
        let object = try ElfObject(parsing: objectBytes)
        let relocatable = try RelocatableObject(object)
        let ours = try relocatable.image(at: PhysicalAddress(base))
        guard let lld = Self.lld() else {
            Issue.record("ld.lld (the Swift toolchain's) is needed for this test")
            return
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ppc-reloc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("purgatory.o")
        let output = directory.appendingPathComponent("linked")
        try Data(objectBytes).write(to: input)
        var arguments = ["-static", "-nostdlib", "--no-relax", "--image-base=0", "-e", "purgatory_start",
                         "-o", output.path, input.path]
        for (index, offset) in relocatable.sectionOffsets {
            arguments.append("--section-start=\(object.sections[index].name)=0x\(String(base + offset, radix: 16))")
        }
        if architecture != .ppc {
            // ld.lld's .TOC. is .got + 0x8000: put .got where our rule puts the TOC.
            let got = relocatable.tocPointer(base: base) - 0x8000
            arguments += ["--no-toc-optimize", "--section-start=.got=0x\(String(got, radix: 16))"]
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: lld)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(message)")
        let linked = try ElfObject(parsing: [UInt8](try Data(contentsOf: output)))
        if architecture != .ppc {
            let toc = try #require(linked.symbols.first { $0.name == ".TOC." })
            #expect(toc.value == relocatable.tocPointer(base: base))
        }
        var compared = 0
        for (index, offset) in relocatable.sectionOffsets where object.sections[index].occupiesFile {
            let name = object.sections[index].name
            let theirs = try #require(linked.section(named: name))
            #expect(theirs.address == base + offset, "\(name) address")
            let mine = Array(ours[Int(offset)..<Int(offset + object.sections[index].size)])
            let expected = Array(linked.contents(of: theirs))
            #expect(mine == expected, "\(architecture) \(name) differs from ld.lld's at offset \(firstDifference(mine, expected))")
            compared += mine.count
        }
        #expect(compared > 4000)
    }

    func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> String {
        guard let index = zip(a, b).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset else {
            return a.count == b.count ? "none" : "length"
        }
        return "0x" + String(index, radix: 16)
    }

    @Test(arguments: [KexecArchitecture.ppc64le, .ppc64, .ppc])
    func symbolABI(architecture: KexecArchitecture) throws {
        let object = try ElfObject(parsing: try #require(PPCPurgatory.objectBytes(for: architecture)))
        #expect(object.type == 1 && object.machine == (architecture == .ppc ? 20 : 21))
        #expect(object.byteOrder == architecture.byteOrder && object.elfClass == (architecture.is64Bit ? .elf64 : .elf32))
        let sizes: [String: UInt64] = [
            "sha256_regions": 256, "sha256_digest": 32, "purgatory_options": 4, "backup_src": 8, "backup_dest": 8,
            "backup_size": 8, "kernel_entry": 8, "device_tree": 8, "kernel_head": 252,
        ]
        let data = try #require(object.section(named: ".data"))
        let text = try #require(object.section(named: ".text"))
        for (name, size) in sizes {
            let symbol = try #require(object.symbols.first { $0.name == name }, "\(name)")
            #expect(symbol.size == size, "\(name)")
            #expect(symbol.binding == 1, "\(name) is global")
            #expect(Int(symbol.sectionIndex) == (name == "kernel_head" ? text.index : data.index), "\(name)")
        }
        let start = try #require(object.symbols.first { $0.name == "purgatory_start" })
        #expect(start.value == 0 && Int(start.sectionIndex) == text.index && start.type == 2)
        #expect(try #require(object.symbols.first { $0.name == "kernel_head" }).value == 4)
        #expect(object.section(named: ".bss")?.size == 0x4000, "the stack")
    }

    @Test func patchesLandInTheTargetByteOrder() throws {
        var parameters = PPCPurgatoryParameters()
        parameters.regions = [PhysicalRange(unchecked: 0x100_0000, 0x100_2000)]
        parameters.digest = Array(0..<32)
        parameters.options = [.verify, .console]
        parameters.kernelEntry = 0x0102_0304_0506_0708
        parameters.deviceTree = 0x1f00_0000
        parameters.kernelHead = Array(repeating: 0xab, count: 0x100)
        for architecture in [KexecArchitecture.ppc64le, .ppc64, .ppc] {
            let objectBytes = try #require(PPCPurgatory.objectBytes(for: architecture))
            let relocatable = try RelocatableObject(try ElfObject(parsing: objectBytes))
            let base: UInt64 = 0x300_0000
            let image = try relocatable.image(at: PhysicalAddress(base), patches: parameters.patches(byteOrder: architecture.byteOrder))
            func at(_ name: String) throws -> Int { Int(try relocatable.address(of: name, base: PhysicalAddress(base)).rawValue - base) }
            let reader = ByteReader(image, byteOrder: architecture.byteOrder)
            #expect(try reader.peek(UInt64.self, at: try at("kernel_entry"), field: "") == 0x0102_0304_0506_0708)
            #expect(try reader.peek(UInt64.self, at: try at("device_tree"), field: "") == 0x1f00_0000)
            #expect(try reader.peek(UInt32.self, at: try at("purgatory_options"), field: "") == 5)
            #expect(try reader.peek(UInt64.self, at: try at("sha256_regions"), field: "") == 0x100_0000)
            #expect(try reader.peek(UInt64.self, at: try at("sha256_regions") + 8, field: "") == 0x2000)
            let digestAt = try at("sha256_digest")
            #expect(Array(image[digestAt..<digestAt + 32]) == Array(0..<32))
            #expect(Array(image[4..<0x100]) == Array(repeating: 0xab, count: 0xfc))
            #expect(image[0] != 0xab && image[3] != 0xab, "word 0 keeps the branch")
        }
    }

    @Test func tocPointerRule() throws {
        let relocatable = try RelocatableObject(try ElfObject(parsing: PurgatoryObjectPPC64LE.bytes))
        let end = (relocatable.memorySize + 7) & ~7
        #expect(relocatable.tocPointer(base: 0x100_0000) == 0x100_0000 + end + 0x8000)
        #expect(relocatable.machine == .ppc64)
    }

    /// Rewrites the type of the first relocation of `.rela.text`.
    func withFirstRelocation(of objectBytes: [UInt8], type: UInt32) throws -> [UInt8] {
        let object = try ElfObject(parsing: objectBytes)
        let table = try #require(object.section(named: ".rela.text"))
        var bytes = objectBytes
        let is64 = object.elfClass == .elf64
        let infoOffset = Int(table.offset) + (is64 ? 8 : 4)
        var writer = ByteWriter(byteOrder: object.byteOrder)
        if is64 {
            let info = try ByteReader(bytes, byteOrder: object.byteOrder).peek(UInt64.self, at: infoOffset, field: "r_info")
            writer.write(info & ~0xffff_ffff | UInt64(type))
        } else {
            let info = try ByteReader(bytes, byteOrder: object.byteOrder).peek(UInt32.self, at: infoOffset, field: "r_info")
            writer.write(info & ~0xff | type)
        }
        bytes.replaceSubrange(infoOffset..<infoOffset + writer.bytes.count, with: writer.bytes)
        return bytes
    }

    @Test func unsupportedAndOutOfRangeRelocations() throws {
        for objectBytes in [PurgatoryObjectPPC64LE.bytes, PurgatoryObjectPPC64.bytes, PurgatoryObjectPPC32.bytes] {
            let bad = try withFirstRelocation(of: objectBytes, type: 200)
            let relocatable = try RelocatableObject(try ElfObject(parsing: bad))
            let error = #expect(throws: RelocationError.self) { try relocatable.image(at: 0x100_0000) }
            guard case .unsupportedRelocation(let section, _, let type) = error else {
                Issue.record("unexpected \(String(describing: error))")
                continue
            }
            #expect(section == ".text" && type == 200)
        }
        // ppc64-only types in a 32-bit object are refused too (R_PPC64_ADDR64 = 38).
        let addr64 = try RelocatableObject(try ElfObject(parsing: try withFirstRelocation(of: PurgatoryObjectPPC32.bytes, type: 38)))
        #expect(throws: RelocationError.self) { try addr64.image(at: 0x100_0000) }
        // ppc32 ADDR16_HA/LO wrap at 4 GiB the way the hardware does; the 64-bit
        // TOC16_HA pairs must fit ±2 GiB, which an image cannot exceed.
        let ppc64 = try RelocatableObject(try ElfObject(parsing: PurgatoryObjectPPC64LE.bytes))
        _ = try ppc64.image(at: 0xffff_ffff_0000_0000)
    }
}
