public import ElfNotes
public import KexecCore
public import SegmentPlanner

/// How the next kernel is entered.
public enum X86EntryMode: Hashable, Sendable {
    /// The 64-bit entry at load address + 0x200, rsi = boot_params (x86_64 purgatory).
    case bits64
    /// The 32-bit protected-mode entry at the load address, esi = boot_params.
    case bits32
}

/// Errors of the x86 loaders beyond the bzImage header's own.
public enum X86LoadError: Error, Hashable, Sendable, CustomStringConvertible {
    case crashLoadNeedsElfcorehdr
    case crashRegionAbove4G(PhysicalRange)
    case tooManyRegions(Int)
    case purgatory(RelocationError)
    case purgatoryObject(ElfError)
    case corruptSegmentOutOfRange(Int)

    public var description: String {
        switch self {
        case .crashLoadNeedsElfcorehdr:
            "loading a crash kernel with kexec_load needs the running kernel's crash state (crash_notes, vmcoreinfo) to build the ELF core header"
        case .crashRegionAbove4G(let region):
            "the crash region \(region) lies above 4 GiB, where this purgatory cannot run; use -s (kexec_file_load) or a crashkernel= reservation below 4 GiB"
        case .tooManyRegions(let count): "purgatory verifies at most 16 regions, the plan has \(count)"
        case .purgatory(let error): "purgatory: \(error)"
        case .purgatoryObject(let error): "embedded purgatory object: \(error)"
        case .corruptSegmentOutOfRange(let index): "test corruption: there is no segment \(index), or it has no bytes"
        }
    }
}

/// The layout every x86 bzImage load shares, after kexec-tools' bzImage64 and
/// bzImage loaders: purgatory and the boot parameters (zero page + command line +
/// E820_EXT) top-down above 0x3000, the protected-mode kernel with its init_size at
/// kernel_alignment above max(1 MiB, pref_address) — top-down for the 64-bit entry,
/// bottom-up below 0x37FFFFFF for the 32-bit one —, the initrd top-down above
/// 16 MiB and below initrd_addr_max. Purgatory always stays below 4 GiB (its
/// 32-bit code and the 64-to-32 switch need it).
public enum BzImageLayout {
    /// Plans the load.
    /// - Parameters:
    ///   - input: files, command line, machine.
    ///   - purgatoryObject: the embedded relocatable purgatory for `input.architecture`.
    ///   - entry: 64-bit or 32-bit kernel entry.
    /// - Throws: ``BzImageError``, ``X86LoadError``, ``PlanningError``, ``PlanValidationError``.
    public static func plan(_ input: ImageLoadInput, purgatoryObject: [UInt8], entry: X86EntryMode) throws -> ValidatedPlan {
        let image = input.kernel
        let header = try SetupHeader(parsing: image)
        if entry == .bits64 && !header.has64BitEntry { throw BzImageError.no64BitEntry }
        if input.kind == .crash && !header.relocatable { throw BzImageError.notRelocatable }
        let commandLine = Array(input.commandLine.utf8)
        guard commandLine.count <= Int(header.commandLineSize) else {
            throw BzImageError.commandLineTooLong(length: commandLine.count, limit: header.commandLineSize)
        }
        let below4G = PhysicalAddress(1 << 32)
        let above4G = entry == .bits64 && header.canBeLoadedAbove4G
        return try X86ImageLayout.plan(
            input, purgatoryObject: purgatoryObject, entry: entry, bootParams: BootParams(image: image, header: header),
            initrdLimit: above4G ? PhysicalAddress(UInt64.max) : PhysicalAddress(UInt64(header.initrdAddressMax) + 1)
        ) { planner in
            // The protected-mode kernel with room for init_size.
            let kernelBytes = Array(image[header.protectedModeOffset...])
            let kernelMemory = max(UInt64(header.initSize), UInt64(kernelBytes.count))
            let request: PlacementRequest
            let alignment = (try? Alignment(bytes: UInt64(header.kernelAlignment))) ?? .mib2
            let minimum = PhysicalAddress(max(0x10_0000, header.preferredAddress))
            if header.relocatable && entry == .bits32 {
                // A 32-bit kernel must sit in its low memory (below 896 MiB) and its
                // decompressor refuses high destinations: bottom-up from the preferred
                // address, below min(0x37FFFFFF, initrd_addr_max), as kexec-tools does.
                let limit = min(UInt64(0x3800_0000), UInt64(header.initrdAddressMax) + 1)
                request = PlacementRequest(role: .kernel, bytes: kernelBytes, memorySize: kernelMemory, alignment: alignment,
                                           minimum: minimum, maximum: PhysicalAddress(limit), strategy: .bottomUp)
            } else if header.relocatable {
                request = PlacementRequest(role: .kernel, bytes: kernelBytes, memorySize: kernelMemory, alignment: alignment,
                                           minimum: minimum, maximum: above4G ? PhysicalAddress(UInt64.max) : below4G)
            } else {
                request = PlacementRequest(role: .kernel, bytes: kernelBytes, memorySize: kernelMemory,
                                           strategy: .exact(PhysicalAddress(UInt64(header.code32Start))))
            }
            let base = try planner.place(request)
            return (entry64: base.rawValue + 0x200, entry32: base.rawValue)
        }
    }
}

/// What bzImage and ELF loads share: purgatory and the boot parameters top-down
/// above 0x3000 and below 4 GiB, the kernel placed by the caller, the initrd
/// top-down above 16 MiB, then the zero page, the digest and purgatory's symbols.
public enum X86ImageLayout {
    /// - Parameter placeKernel: places the kernel's segments and returns the 64-bit
    ///   and 32-bit entry addresses.
    public static func plan(
        _ input: ImageLoadInput, purgatoryObject: [UInt8], entry: X86EntryMode, bootParams: BootParams,
        initrdLimit: PhysicalAddress,
        placeKernel: (inout SegmentPlanner) throws -> (entry64: UInt64, entry32: UInt64)
    ) throws -> ValidatedPlan {
        let crash = input.kind == .crash
        if crash && input.crashState == nil { throw X86LoadError.crashLoadNeedsElfcorehdr }
        if crash, let region = input.memoryMap.loadableCrashRegion, region.lowerBound.rawValue >= 1 << 32 {
            throw X86LoadError.crashRegionAbove4G(region)
        }
        // A crash kernel's command line gains " elfcorehdr=NK"; leave room for the longest.
        var commandLine = Array(input.commandLine.utf8)
        let reserve = crash ? " elfcorehdr=18446744073709551615K".utf8.count : 0
        let purgatory: RelocatableObject
        do {
            purgatory = try RelocatableObject(try ElfObject(parsing: purgatoryObject))
        } catch let error as ElfError {
            throw X86LoadError.purgatoryObject(error)
        } catch let error as RelocationError {
            throw X86LoadError.purgatory(error)
        }

        var planner = try SegmentPlanner(memoryMap: input.memoryMap, kind: input.kind, architecture: input.architecture,
                                         pageSize: input.pageSize, memoryMinimum: input.memoryMinimum,
                                         memoryMaximum: input.memoryMaximum)
        let below4G = PhysicalAddress(1 << 32)
        // 0: purgatory (bytes filled in last).
        let purgatoryBase = try planner.place(PlacementRequest(
            role: .purgatory, bytes: [], memorySize: purgatory.memorySize, alignment: purgatory.alignment,
            minimum: 0x3000, maximum: below4G))
        // For kdump: the ELF core header, describing the crashed kernel's memory.
        var elfcorehdr: PhysicalRange?
        if crash, let state = input.crashState {
            let dumped = input.memoryMap.systemRAM.subtracting(PhysicalRangeSet(input.memoryMap.crashRegions))
            let header = try ElfCoreHeaderBuilder.build(architecture: input.architecture, crash: state, memory: dumped)
            let base = try planner.place(PlacementRequest(role: .elfcorehdr, bytes: header, alignment: .kib4))
            elfcorehdr = planner.segments.last?.destination
            commandLine += Array(" elfcorehdr=\(base.rawValue / ElfCoreHeaderBuilder.alignment)K".utf8)
        }
        // Boot parameters: zero page, command line, E820_EXT node.
        let firmware = input.firmwareMap ?? input.memoryMap.regions
        let e820 = E820Entry.table(from: crash ? captureKernelMemory(input, elfcorehdr: elfcorehdr) : firmware)
        let extraEntries = max(0, e820.count - BootParams.zeroPageE820Capacity)
        let commandLineOffset = BootParams.size
        let setupDataOffset = (commandLineOffset + commandLine.count + reserve + 1 + 7) & ~7
        let paramsSize = setupDataOffset + (extraEntries > 0 ? 16 + extraEntries * 20 : 0)
        let paramsBase = try planner.place(PlacementRequest(
            role: .bootParams, bytes: [], memorySize: UInt64(paramsSize), alignment: .kib4,
            minimum: 0x3000, maximum: below4G))
        // 2...: the kernel.
        let kernelEntry = try placeKernel(&planner)
        // Then the initrd.
        var initrdBase: PhysicalAddress?
        if let initrd = input.initrd {
            initrdBase = try planner.place(PlacementRequest(role: .initrd, bytes: initrd, minimum: 0x100_0000, maximum: initrdLimit))
        }

        // The zero page, now that every address is known.
        var params = bootParams
        params.setCommandLine(address: paramsBase.rawValue + UInt64(commandLineOffset))
        params.setCode32Start(UInt32(truncatingIfNeeded: kernelEntry.entry32))
        if let initrdBase, let initrd = input.initrd { params.setInitrd(address: initrdBase.rawValue, size: UInt64(initrd.count)) }
        let overflow = params.setE820(e820)
        if !overflow.isEmpty { params.setSetupData(paramsBase.rawValue + UInt64(setupDataOffset)) }
        var paramsBytes = params.bytes + commandLine + [0]
        paramsBytes += [UInt8](repeating: 0, count: setupDataOffset - paramsBytes.count)
        if !overflow.isEmpty { paramsBytes += BootParams.e820ExtensionNode(overflow) }
        if let paramsIndex = planner.segments.firstIndex(where: { $0.role == .bootParams }) {
            try planner.replaceBytes(ofSegment: paramsIndex, with: paramsBytes)
        }

        // Purgatory: digest of everything else, registers, relocation at its address.
        let (regions, digest) = planner.draft(entry: 0).purgatoryDigest(excluding: [0])
        guard regions.count <= 16 else { throw X86LoadError.tooManyRegions(regions.count) }
        var parameters = PurgatoryParameters()
        parameters.regions = regions
        parameters.digest = digest
        parameters.serialConsole = input.purgatorySerialConsole
        switch entry {
        case .bits64:
            parameters.registers64[PurgatoryParameters.Register64.rip.rawValue] = kernelEntry.entry64
            parameters.registers64[PurgatoryParameters.Register64.rsi.rawValue] = paramsBase.rawValue
        case .bits32:
            parameters.enter32Bit = input.architecture == .x86_64
            parameters.registers32[PurgatoryParameters.Register32.eip.rawValue] = UInt32(truncatingIfNeeded: kernelEntry.entry32)
            parameters.registers32[PurgatoryParameters.Register32.esi.rawValue] = UInt32(truncatingIfNeeded: paramsBase.rawValue)
        }
        let entryPoint: PhysicalAddress
        do {
            let relocated = try purgatory.image(at: purgatoryBase, patches: parameters.patches(includes64: input.architecture == .x86_64))
            try planner.replaceBytes(ofSegment: 0, with: relocated)
            entryPoint = try purgatory.address(of: "purgatory_start", base: purgatoryBase)
        } catch let error as RelocationError {
            throw X86LoadError.purgatory(error)
        }

        if let index = input.corruptSegmentForTesting {
            guard index < planner.segments.count, !planner.segments[index].segment.buffer.isEmpty else {
                throw X86LoadError.corruptSegmentOutOfRange(index)
            }
            var bytes = planner.segments[index].segment.buffer
            bytes[bytes.count / 2] ^= 0xff
            try planner.replaceBytes(ofSegment: index, with: bytes)
        }
        return try planner.draft(entry: entryPoint).validated()
    }

    /// The memory map a capture kernel gets: the first kernel's RAM below 640 KiB
    /// (the kernel reserves the whole first MiB at boot, so nothing of the crashed
    /// kernel lives there and no backup copy is needed), every firmware region that
    /// is not RAM (ACPI, NVS, reserved: the capture kernel needs the tables), and
    /// the crash region as RAM except the ELF core header, which is reserved.
    static func captureKernelMemory(_ input: ImageLoadInput, elfcorehdr: PhysicalRange?) -> [MemoryRegion] {
        let firmware = input.firmwareMap ?? input.memoryMap.regions
        var regions = firmware.filter { $0.type != .systemRAM && $0.type != .systemRAMKmem }
        let low = PhysicalRangeSet([PhysicalRange(unchecked: 0, 0xa0000)])
        for range in input.memoryMap.systemRAM.intersection(low).ranges {
            regions.append(MemoryRegion(range: range, type: .systemRAM))
        }
        if let region = input.memoryMap.loadableCrashRegion {
            var usable = PhysicalRangeSet([region])
            if let elfcorehdr {
                usable = usable.subtracting(elfcorehdr)
                regions.append(MemoryRegion(range: elfcorehdr, type: .reserved))
            }
            for range in usable.ranges { regions.append(MemoryRegion(range: range, type: .systemRAM)) }
        }
        return regions
    }
}
