import CrashDump
import ElfNotes
import Foundation
import KexecCore
import SystemPackage
import Testing

struct VmcoreTests {
    @Test("detects ELF, kdump-compressed and diskdump; exposes notes, VMCOREINFO and the header")
    func detection() throws {
        let elf = try Vmcore(source: InMemoryCoreSource(try SyntheticKernelCore.core(kernelInfo: true)))
        #expect(elf.format == .elf && !elf.isFlattened && !elf.isIncomplete)
        #expect(elf.architecture == .x86_64 && elf.byteOrder == .little && elf.pageSize == 4096)
        #expect(elf.vmcoreInfo?.osRelease == "6.1.0-synthetic")
        #expect(elf.elfCore != nil && elf.kdump == nil && elf.kdumpHeader == nil)

        let image = try TestKdumpWriter.synthetic(codec: .lzo, level31: true)
        let kdump = try Vmcore(source: InMemoryCoreSource(image.bytes))
        #expect(kdump.format == .kdumpCompressed)
        #expect(kdump.architecture == .x86_64 && kdump.utsname?.release == "6.1.0-test")
        #expect(kdump.vmcoreInfo?.osRelease == "6.1.0-synthetic")
        #expect(kdump.notes.notes.count == 1)
        #expect(kdump.kdumpHeader?.status == .lzo)

        // The old signature, version 0: no sub-header, both bitmaps.
        var old = image.bytes
        old.replaceSubrange(0..<8, with: Array("DISKDUMP".utf8))
        old.patch(Int32(0), at: 8)
        let diskdump = try Vmcore(source: InMemoryCoreSource(old))
        #expect(diskdump.format == .diskdump && diskdump.kdump?.subHeader == nil)
        #expect(try diskdump.memory.read(physical: 0x101000, count: 4096) == SyntheticKernelCore.page(0x101, kernelInfo: true))
    }

    @Test("flattened streams of both formats open in place")
    func flattened() throws {
        let image = try TestKdumpWriter.synthetic(codec: .zstd)
        let stream = FlattenedBuilder.stream([(0, Array(image.bytes.prefix(10_000))), (10_000, Array(image.bytes.dropFirst(10_000)))])
        let dump = try Vmcore(source: InMemoryCoreSource(stream))
        #expect(dump.isFlattened && dump.format == .kdumpCompressed && !dump.isIncomplete)
        #expect(try dump.memory.read(physical: 0x105000, count: 4096) == SyntheticKernelCore.page(0x105, kernelInfo: true))

        let elf = try SyntheticKernelCore.core(kernelInfo: false)
        let elfStream = FlattenedBuilder.stream([(0, elf)], end: false)
        let elfDump = try Vmcore(source: InMemoryCoreSource(elfStream))
        #expect(elfDump.format == .elf && elfDump.isIncomplete)
        #expect(elfDump.warnings.contains { $0.contains("no end marker") })
    }

    @Test("ELF e_flags bit 0 (makedumpfile's incomplete mark) is reported")
    func elfIncomplete() throws {
        var bytes = try SyntheticKernelCore.core(kernelInfo: false)
        bytes.patch(UInt32(1), at: 48)
        #expect(try Vmcore(source: InMemoryCoreSource(bytes)).isIncomplete)
    }

    @Test("anything else is unknownFormat or a typed error, never a crash")
    func unknown() throws {
        for bytes: [UInt8] in [[], [0x7f], Array("hello world, not a dump".utf8), [UInt8](repeating: 0, count: 8192),
                               Array("makedumpfile".utf8) + [0, 0, 0, 0] + [UInt8](repeating: 0, count: 100)] {
            #expect(throws: CrashDumpError.self) { try Vmcore(source: InMemoryCoreSource(bytes)) }
        }
        if case .failure(.unknownFormat(_, let reason)) = capture({ () throws(CrashDumpError) in try Vmcore(source: InMemoryCoreSource(Array("hello world, not a dump".utf8))) }) {
            #expect(reason.contains("signature"))
        } else {
            Issue.record("not reported as an unknown format")
        }
        #expect(throws: CrashDumpError.self) { try Vmcore.open(path: "/nonexistent/vmcore") }
    }

    @Test("a real vmcore: our own zstd kdump of the frames makedumpfile -d 31 keeps reads back through libkdumpfile and us",
          .enabled(if: hasRealVmcore && FormatFixtures.hasMakedumpfile && FormatFixtures.hasKdumpfile))
    func realVmcoreOwnWriter() throws {
        let elf = try Vmcore.open(path: FilePath(Self.realVmcore))
        let reference = try FormatFixtures.makedumpfile(["-l", "-d", "31"], input: Self.realVmcore, name: "real-ref.kdump")
        defer { try? FileManager.default.removeItem(atPath: reference) }
        let kept = try KdumpCompressedMemory.open(FilePath(reference))
        var ram = KdumpBitmap(bitCount: kept.maxPFN)
        for run in elf.memory.pageFrames { ram.insert(run.clamped(to: 0..<kept.maxPFN)) }
        let notes = try #require(elf.elfCore).notes.bytes
        let image = try TestKdumpWriter.write(layout: .init(architecture: .x86_64), maxPFN: kept.maxPFN, ram: ram,
                                              dumped: kept.dumpedBitmap, codec: .zstd, notes: notes, shareZeroPages: true,
                                              dumpLevel: 31) { pfn in
            (try? elf.memory.read(physical: pfn * 4096, count: 4096)) ?? []
        }
        let path = try FormatFixtures.write(image.bytes, name: "real-own.kdump")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let ours = try Vmcore.open(path: FilePath(path))
        #expect(ours.vmcoreInfo?.osRelease == elf.vmcoreInfo?.osRelease)
        if FormatFixtures.hasCrash { #expect(try FormatFixtures.crashOSRelease(path) == elf.vmcoreInfo?.osRelease) }
        let theirs = try FormatFixtures.kdumpfilePages(path, maxPFN: kept.maxPFN)
        var compared = 0
        for (pfn, page) in theirs.enumerated() {
            let dumped = kept.dumpedBitmap.contains(UInt64(pfn))
            #expect((page != nil) == dumped, "frame 0x\(String(pfn, radix: 16))")
            guard let page, dumped else { continue }
            let original = try elf.memory.read(physical: UInt64(pfn) * 4096, count: 4096)
            #expect(page == original, "frame 0x\(String(pfn, radix: 16))")
            #expect(try ours.memory.read(physical: UInt64(pfn) * 4096, count: 4096) == original)
            if page != original { return }
            compared += 1
        }
        #expect(compared == Int(kept.dumpedPageCount))
    }

    static let realVmcore = "/var/cache/kexec-suite/vmcore/small.elf"
    static var hasRealVmcore: Bool {
        FileManager.default.fileExists(atPath: "/var/cache/kexec-suite/vmcore/READY-small")
            && FileManager.default.fileExists(atPath: realVmcore)
    }

    @Test("a real vmcore: makedumpfile's -c/-l -d 31 dumps, flattened too, match the ELF page for page",
          .enabled(if: hasRealVmcore && FormatFixtures.hasMakedumpfile),
          arguments: [["-c", "-d", "31"], ["-l", "-d", "31"], ["-F", "-d", "31"]])
    func realVmcore(_ arguments: [String]) throws {
        let elf = try Vmcore.open(path: FilePath(Self.realVmcore))
        let path = try FormatFixtures.makedumpfile(arguments, input: Self.realVmcore, name: "real.kdump")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let dump = try Vmcore.open(path: FilePath(path))
        #expect(dump.format == .kdumpCompressed)
        #expect(dump.isFlattened == arguments.contains("-F"))
        #expect(dump.architecture == elf.architecture)
        #expect(dump.vmcoreInfo?.osRelease == elf.vmcoreInfo?.osRelease)
        #expect(dump.kdump?.dumpLevel == 31)
        var pages = 0
        for run in dump.memory.pageFrames {
            var pfn = run.lowerBound
            while pfn < run.upperBound {
                let count = Int(min(run.upperBound - pfn, 256))
                let address = pfn * UInt64(dump.pageSize)
                let ours = try dump.memory.read(physical: address, count: count * dump.pageSize)
                let original = try elf.memory.read(physical: address, count: count * dump.pageSize)
                #expect(ours == original, "frames 0x\(String(pfn, radix: 16)) + \(count)")
                if ours != original { return }
                pages += count
                pfn += UInt64(count)
            }
        }
        #expect(pages > 0)
    }
}
