import Crypto
import Foundation
import KexecTestSupport
import SystemPackage
import Testing
@testable import ArchI386
@testable import ArchX86_64
@testable import ElfNotes
@testable import KexecCore
@testable import SegmentPlanner

enum ArchFixtures {
    static let fixtures = FilePath(#filePath).removingLastComponent().removingLastComponent().appending("KexecCoreTests/Fixtures")
    static func map(_ name: String) throws -> MemoryMap {
        MemoryMap(iomem: try IOMem.read(from: fixtures.appending("iomem/\(name).txt")))
    }
    static func memmap(_ name: String) throws -> [MemoryRegion] {
        try FirmwareMemoryMap.read(directory: fixtures.appending("memmap/\(name)")).resolved()
    }
}

@Suite("bzImage setup header")
struct SetupHeaderTests {
    @Test func syntheticHeaderParses() throws {
        let header = try SetupHeader(parsing: SyntheticBzImage.make())
        #expect(header.version == 0x020f && header.setupSectors == 1 && header.protectedModeOffset == 1024)
        #expect(header.has64BitEntry && header.canBeLoadedAbove4G && header.relocatable && header.loadsHigh)
        #expect(header.kernelAlignment == 0x20_0000 && header.initSize == 0x40_0000 && header.preferredAddress == 0x100_0000)
        #expect(header.commandLineSize == 2047 && header.headerEnd == 0x26c)
        #expect(BzImage64Loader().probe(SyntheticBzImage.make()))
    }

    @Test func hostileImagesGiveTypedErrors() {
        var options = SyntheticBzImage.Options()
        let good = SyntheticBzImage.make()
        #expect(throws: BzImageError.truncated(field: "boot_flag", offset: 0x1fe, fileSize: 100)) { try SetupHeader(parsing: Array(good[0..<100])) }
        #expect(throws: BzImageError.self) { try SetupHeader(parsing: Array(good[0..<0x208])) }
        var badFlag = good
        badFlag[0x1fe] = 0
        #expect(throws: BzImageError.badBootFlag(0xaa00)) { try SetupHeader(parsing: badFlag) }
        var badMagic = good
        badMagic[0x202] = 0x58
        #expect(throws: BzImageError.badHeaderMagic(0x5372_6458)) { try SetupHeader(parsing: badMagic) }
        options.version = 0x0201
        #expect(throws: BzImageError.protocolTooOld(version: 0x0201, minimum: 0x0202)) { try SetupHeader(parsing: SyntheticBzImage.make(options)) }
        options = SyntheticBzImage.Options()
        var absurd = good
        absurd[0x1f1] = 255
        #expect(throws: BzImageError.setupSectorsBeyondFile(setupSectors: 255, offset: 256 * 512, fileSize: good.count)) {
            try SetupHeader(parsing: absurd)
        }
        options.loadFlags = 0
        #expect(throws: BzImageError.notLoadedHigh) { try SetupHeader(parsing: SyntheticBzImage.make(options)) }
        options = SyntheticBzImage.Options()
        options.initSize = 0x100
        #expect(throws: BzImageError.initSizeTooSmall(initSize: 0x100, imageSize: 0x1_0000)) { try SetupHeader(parsing: SyntheticBzImage.make(options)) }
        options = SyntheticBzImage.Options()
        options.kernelAlignment = 0x30_0000
        #expect(throws: BzImageError.badKernelAlignment(0x30_0000)) { try SetupHeader(parsing: SyntheticBzImage.make(options)) }
        // Random cuts and byte flips never crash.
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            var bytes = Array(good[0..<Int.random(in: 0...good.count, using: &rng)])
            if !bytes.isEmpty { bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng) }
            _ = try? SetupHeader(parsing: bytes)
        }
    }
}

@Suite("Zero page")
struct BootParamsTests {
    @Test func fieldsByteForByte() throws {
        let image = SyntheticBzImage.make()
        let header = try SetupHeader(parsing: image)
        var params = BootParams(image: image, header: header)
        #expect(params.bytes.count == 4096)
        #expect(params.field(UInt32.self, at: 0x202) == 0x5372_6448, "header copied")
        #expect(params.bytes[0x210] == 0xd0, "type_of_loader")
        params.setCommandLine(address: 0x1_2345_6000)
        #expect(params.field(UInt32.self, at: 0x228) == 0x2345_6000 && params.field(UInt32.self, at: 0x0c8) == 1)
        params.setInitrd(address: 0x2_0000_0000, size: 0x1_0000_1000)
        #expect(params.field(UInt32.self, at: 0x218) == 0 && params.field(UInt32.self, at: 0x0c0) == 2)
        #expect(params.field(UInt32.self, at: 0x21c) == 0x1000 && params.field(UInt32.self, at: 0x0c4) == 1)
        let table = E820Entry.table(from: try ArchFixtures.memmap("qemu-x86_64-6G"))
        let overflow = params.setE820(table)
        #expect(overflow.isEmpty && params.bytes[0x1e8] == UInt8(table.count))
        #expect(params.field(UInt64.self, at: 0x2d0) == 0 && params.field(UInt64.self, at: 0x2d8) == 0x9fc00 && params.field(UInt32.self, at: 0x2e0) == 1)
        #expect(params.field(UInt32.self, at: 0x1e0) == UInt32((0xbffe_0000 - 0x10_0000 + 0xc000_0000) >> 10))
    }

    @Test func moreThan128EntriesSpillIntoSetupData() throws {
        let regions = (0..<200).map { index in
            MemoryRegion(range: PhysicalRange(unchecked: PhysicalAddress(UInt64(index) * 0x20_0000), PhysicalAddress(UInt64(index) * 0x20_0000 + 0x10_0000)),
                         type: index % 2 == 0 ? .systemRAM : .acpiNVS)
        }
        var params = BootParams(image: SyntheticBzImage.make(), header: try SetupHeader(parsing: SyntheticBzImage.make()))
        let overflow = params.setE820(E820Entry.table(from: regions))
        #expect(params.bytes[0x1e8] == 128 && overflow.count == 72)
        let node = BootParams.e820ExtensionNode(overflow)
        #expect(node.count == 16 + 72 * 20)
        #expect(node[8] == 1 && node[12] == UInt8((72 * 20) & 0xff))
    }
}

@Suite("bzImage plans")
struct BzImagePlanTests {
    func input(_ image: [UInt8], architecture: KexecArchitecture = .x86_64, commandLine: String = "console=ttyS0",
               initrd: [UInt8]? = [UInt8](repeating: 0x42, count: 5000), map: String = "qemu-x86_64-2G") throws -> ImageLoadInput {
        ImageLoadInput(kernel: image, initrd: initrd, commandLine: commandLine, kind: .normal, architecture: architecture,
                       memoryMap: try ArchFixtures.map(map), firmwareMap: try? ArchFixtures.memmap(map))
    }

    /// Reads a little-endian u64 / u32 from the relocated purgatory image at a symbol.
    func symbolBytes(_ plan: ValidatedPlan, _ name: String, count: Int, object: [UInt8]) throws -> [UInt8] {
        let relocatable = try RelocatableObject(try ElfObject(parsing: object))
        let base = plan.draft.segments[0].destination.lowerBound
        let address = try relocatable.address(of: name, base: base)
        let offset = Int(address.rawValue - base.rawValue)
        return Array(plan.draft.segments[0].segment.buffer[offset..<offset + count])
    }

    func le<T: FixedWidthInteger>(_ bytes: ArraySlice<UInt8>, _ type: T.Type) -> T {
        bytes.enumerated().reduce(T(0)) { $0 | T($1.element) << (8 * $1.offset) }
    }

    @Test func bzImage64PlanIsProvenAndPurgatoryIsPatched() throws {
        let plan = try BzImageLayout.plan(try input(SyntheticBzImage.make()), purgatoryObject: PurgatoryObjectX86_64.bytes, entry: .bits64)
        let segments = plan.draft.segments
        #expect(segments.map(\.role) == [.purgatory, .bootParams, .kernel, .initrd])
        let params = segments[1].destination.lowerBound.rawValue
        let kernel = segments[2].destination.lowerBound.rawValue
        #expect(kernel % 0x20_0000 == 0 && kernel >= 0x100_0000)
        // Boot params point at the command line right after the zero page, and at the initrd.
        let zero = segments[1].segment.buffer
        #expect(le(zero[0x228..<0x22c], UInt32.self) == UInt32(params + 4096))
        #expect(Array(zero[4096..<4096 + 14]) == Array("console=ttyS0".utf8) + [0])
        #expect(le(zero[0x218..<0x21c], UInt32.self) == UInt32(segments[3].destination.lowerBound.rawValue))
        #expect(le(zero[0x21c..<0x220], UInt32.self) == 5000)
        // entry64_regs: rsi = boot params, rip = kernel + 0x200.
        let regs = try symbolBytes(plan, "entry64_regs", count: 136, object: PurgatoryObjectX86_64.bytes)
        #expect(le(regs[32..<40], UInt64.self) == params)
        #expect(le(regs[128..<136], UInt64.self) == kernel + 0x200)
        // The digest covers segments 1..3, recomputed here independently.
        var hasher = SHA256()
        for segment in segments.dropFirst() {
            hasher.update(data: segment.segment.buffer)
            hasher.update(data: [UInt8](repeating: 0, count: Int(segment.segment.memorySize - segment.segment.bufferSize)))
        }
        #expect(try symbolBytes(plan, "sha256_digest", count: 32, object: PurgatoryObjectX86_64.bytes) == Array(hasher.finalize()))
        let regions = try symbolBytes(plan, "sha256_regions", count: 64, object: PurgatoryObjectX86_64.bytes)
        #expect(le(regions[0..<8], UInt64.self) == params && le(regions[8..<16], UInt64.self) == segments[1].segment.memorySize)
        #expect(le(try symbolBytes(plan, "purgatory_options", count: 4, object: PurgatoryObjectX86_64.bytes)[...], UInt32.self) == 1)
        #expect(plan.loadRequest.entry == segments[0].destination.lowerBound, "purgatory_start is the first byte of .text")
    }

    @Test func thirtyTwoBitEntryFromX86_64SwitchesModes() throws {
        var options = SyntheticBzImage.Options()
        options.xloadFlags = 0
        let plan = try BzImageLayout.plan(try input(SyntheticBzImage.make(options)), purgatoryObject: PurgatoryObjectX86_64.bytes, entry: .bits32)
        let regs = try symbolBytes(plan, "entry32_regs", count: 36, object: PurgatoryObjectX86_64.bytes)
        #expect(le(regs[16..<20], UInt32.self) == UInt32(plan.draft.segments[1].destination.lowerBound.rawValue))
        #expect(le(regs[32..<36], UInt32.self) == UInt32(plan.draft.segments[2].destination.lowerBound.rawValue))
        #expect(le(try symbolBytes(plan, "purgatory_options", count: 4, object: PurgatoryObjectX86_64.bytes)[...], UInt32.self) == 5)
        for segment in plan.draft.segments { #expect(segment.destination.upperBound.rawValue <= 1 << 32) }
        // The kernel goes bottom-up from pref_address (16 MiB), inside 32-bit low memory.
        #expect(plan.draft.segments[2].destination.lowerBound == 0x100_0000)
        #expect(throws: BzImageError.no64BitEntry) {
            try BzImageLayout.plan(try input(SyntheticBzImage.make(options)), purgatoryObject: PurgatoryObjectX86_64.bytes, entry: .bits64)
        }
        // The registry picks the 32-bit path for a kernel without a 64-bit entry.
        let registry = ImageLoaderRegistry(ArchX86_64.imageLoaders)
        #expect(try registry.loader(for: SyntheticBzImage.make(options), architecture: .x86_64).name == "bzImage")
        #expect(try registry.loader(for: SyntheticBzImage.make(), architecture: .x86_64).name == "bzImage64")
    }

    @Test func i386PlanStaysBelow4GiB() throws {
        var options = SyntheticBzImage.Options()
        options.xloadFlags = 0
        let plan = try BzImageI386Loader().plan(try input(SyntheticBzImage.make(options), architecture: .i386, map: "qemu-x86_64-6G"))
        let validated = try #require(plan as? ValidatedPlan)
        #expect(validated.loadRequest.flags == 0x3_0000)
        for segment in validated.draft.segments { #expect(segment.destination.upperBound.rawValue < 0xffff_ffff) }
        let bytes = PlanFile.encode(validated.loadRequest, architecture: .i386)
        #expect(try PlanFile.decode(bytes).segments == validated.loadRequest.segments)
    }

    @Test func refusals() throws {
        let long = String(repeating: "x", count: 2048)
        #expect(throws: BzImageError.commandLineTooLong(length: 2048, limit: 2047)) {
            try BzImageLayout.plan(try input(SyntheticBzImage.make(), commandLine: long), purgatoryObject: PurgatoryObjectX86_64.bytes, entry: .bits64)
        }
        var huge = SyntheticBzImage.Options()
        huge.initSize = 0xf000_0000  // init_size beyond RAM
        #expect(throws: PlanningError.self) {
            try BzImageLayout.plan(try input(SyntheticBzImage.make(huge), map: "qemu-x86_64-512M"), purgatoryObject: PurgatoryObjectX86_64.bytes, entry: .bits64)
        }
        var crash = try input(SyntheticBzImage.make(), map: "qemu-x86_64-2G-crashkernel-256M")
        crash.kind = .crash
        #expect(throws: X86LoadError.crashLoadNeedsElfcorehdr) {
            try BzImageLayout.plan(crash, purgatoryObject: PurgatoryObjectX86_64.bytes, entry: .bits64)
        }
        var corrupt = try input(SyntheticBzImage.make())
        corrupt.corruptSegmentForTesting = 9
        #expect(throws: X86LoadError.corruptSegmentOutOfRange(9)) {
            try BzImageLayout.plan(corrupt, purgatoryObject: PurgatoryObjectX86_64.bytes, entry: .bits64)
        }
    }
}
