public import ElfNotes
public import KexecCore
public import SegmentPlanner

/// The layout of a PowerPC kexec, after kexec-tools' elf-ppc64 (and elf-ppc)
/// loaders, with the memory read from the running system's device tree:
///
/// - Every segment stays inside the RMA (the first memory node: purgatory and
///   the kernel's early code run in real mode) and outside what the tree
///   reserves, the running kernel `[0, linux,kernel-end)` included (the kernel
///   refuses segments below its own end).
/// - The kernel (all PT_LOADs as one block) bottom-up, 64 KiB aligned. A normal
///   kernel copies itself to its link address (0) at entry, so every other
///   segment goes above `[0, memsz)` too; a crash kernel gets `__run_at_load` = 1
///   and runs where it is, inside the crash region.
/// - For kdump: the 64 KiB backup buffer and the ELF core header, bottom-up.
/// - Purgatory bottom-up; the initrd bottom-up (ppc64) or top-down (ppc).
/// - The edited device tree (``KexecDeviceTree``: bootargs with `elfcorehdr=`
///   for kdump, the initrd, reservations for itself, the initrd, the backup and
///   the core header, `linux,usable-memory` for kdump) in the highest hole
///   (ppc64), or the lowest one above the kernel (ppc, whose early mapping is small).
/// - Entry = purgatory, which checks every other segment's SHA-256, copies the
///   backup, writes the boot CPU into the tree and enters the kernel with
///   r3 = tree, r4 = kernel entry, r5 = 0.
public enum PPCImageLayout {
    /// Alignment of the kernel block.
    public static let kernelAlignment = Alignment.kib64
    /// The end of what a 32-bit kernel maps at boot (lowmem): ppc segments stay below.
    public static let ppc32LowMemoryEnd: UInt64 = 0x3000_0000

    /// Plans the load.
    /// - Parameters:
    ///   - input: kernel, initrd, command line, kind, running architecture, the
    ///     device tree (required), crash state for kdump; ``ImageLoadInput/memoryMap``
    ///     only contributes a crash region that overrides the tree's.
    ///   - kernelClass: ELF64 (ppc64) or ELF32 (ppc).
    ///   - machine: EM_PPC64 (21) or EM_PPC (20).
    /// - Throws: ``PPCLoadError``, ``PlanningError``, ``PlanValidationError``,
    ///   ``KexecSegmentError``.
    public static func plan(_ input: ImageLoadInput, kernelClass: ElfClass, machine: UInt16) throws -> ValidatedPlan {
        let architecture = input.architecture
        let crash = input.kind == .crash
        guard let purgatoryBytes = PPCPurgatory.objectBytes(for: architecture) else {
            throw ImageLoaderError.noLoader(architecture: architecture, tried: ["elf-ppc64", "elf-ppc"])
        }
        if crash && !architecture.is64Bit { throw PPCLoadError.crashUnsupported(architecture) }
        guard let blob = input.deviceTree else { throw PPCLoadError.noDeviceTree }
        let tree: DeviceTree
        do { tree = try DeviceTree(parsingBlob: blob) } catch { throw PPCLoadError.deviceTree(error) }
        let kernel = try PPCKernelImage(parsing: input.kernel, elfClass: kernelClass, machine: machine)
        if crash && input.crashState == nil { throw PPCLoadError.crashLoadNeedsCrashState }

        let pageSize = input.pageSize ?? architecture.defaultPageSize
        let layout: DeviceTreeMemoryLayout
        do {
            layout = try DeviceTreeMemoryLayout(tree: tree, pageSize: pageSize, crashRegion: input.memoryMap.loadableCrashRegion)
        } catch {
            throw PPCLoadError.deviceTreeProperty(error)
        }
        guard let rma = layout.rma else { throw PPCLoadError.noMemoryNodes }
        var top = rma.upperBound
        if !architecture.is64Bit { top = min(top, PhysicalAddress(ppc32LowMemoryEnd)) }
        if let maximum = input.memoryMaximum { top = min(top, maximum) }

        let purgatory: RelocatableObject
        do {
            purgatory = try RelocatableObject(try ElfObject(parsing: purgatoryBytes))
        } catch let error as ElfError {
            throw PPCLoadError.purgatoryObject(error)
        } catch let error as RelocationError {
            throw PPCLoadError.purgatory(error)
        }

        var planner = try SegmentPlanner(memoryMap: layout.memoryMap, kind: input.kind, architecture: architecture,
                                         pageSize: pageSize, memoryMinimum: input.memoryMinimum, memoryMaximum: top)
        let page = pageSize.alignment

        // 0: the kernel.
        let kernelBytes = crash ? try kernel.bytesRunningAtLoadAddress() : kernel.bytes
        let kernelBase = try planner.place(PlacementRequest(
            role: .kernel, bytes: kernelBytes, memorySize: kernel.memorySize, alignment: max(kernelAlignment, page),
            strategy: .bottomUp))
        // A kernel that copies itself to its link address owns [link, link + memsz) once it runs.
        var floor = PhysicalAddress(0)
        if !crash {
            let end = kernel.linkAddress.addingReportingOverflow(kernel.memorySize)
            floor = (try? PhysicalAddress(end.overflow ? UInt64.max : end.partialValue).alignedUp(to: page))
                ?? PhysicalAddress(UInt64.max)
        }

        // kdump: backup buffer and ELF core header.
        var commandLine = input.commandLine
        var crashMemory: KexecCrashMemory?
        var reservations: [PhysicalRange] = []
        var backup: PhysicalRange?
        if crash, let state = input.crashState, let region = planner.memoryMap.loadableCrashRegion {
            let backupSize = KexecCrashMemory.backupSize
            let backupBase = try planner.place(PlacementRequest(role: .backup, bytes: [], memorySize: backupSize,
                                                                strategy: .bottomUp))
            let backupRange = PhysicalRange(unchecked: backupBase, PhysicalAddress(backupBase.rawValue + backupSize))
            let header = try PPCCrashHeader.build(architecture: architecture, crash: state, layout: layout,
                                                  crashRegion: region, backup: backupRange)
            let headerBase = try planner.place(PlacementRequest(role: .elfcorehdr, bytes: header, strategy: .bottomUp))
            commandLine += " elfcorehdr=\(headerBase.rawValue / ElfCoreHeaderBuilder.alignment)K"
            let firmware: [DeviceTreeReservedRange]
            do { firmware = try tree.firmwareRanges() } catch { throw PPCLoadError.deviceTreeProperty(error) }
            crashMemory = KexecCrashMemory(crashRegion: region, firmware: firmware)
            backup = backupRange
            reservations = [backupRange, PhysicalRange(unchecked: headerBase, PhysicalAddress(headerBase.rawValue + UInt64(header.count)))]
        }

        // Purgatory (bytes once every address is known).
        let purgatoryIndex = planner.segments.count
        let purgatoryBase = try planner.place(PlacementRequest(
            role: .purgatory, bytes: [], memorySize: purgatory.memorySize, alignment: purgatory.alignment,
            minimum: floor, strategy: .bottomUp))

        // The initrd.
        var initrdRange: PhysicalRange?
        if let initrd = input.initrd {
            let base = try planner.place(PlacementRequest(role: .initrd, bytes: initrd, minimum: floor,
                                                          strategy: architecture.is64Bit ? .bottomUp : .topDown))
            initrdRange = PhysicalRange(unchecked: base, PhysicalAddress(base.rawValue + UInt64(initrd.count)))
        }

        // The device tree: its size does not depend on its address, so a trial
        // placement on a copy of the planner finds the address first.
        let options = KexecDeviceTreeOptions(commandLine: commandLine, initrd: initrdRange, crash: crashMemory,
                                             additionalReservations: reservations)
        let nextTree: KexecDeviceTree
        do { nextTree = try KexecDeviceTree(source: tree, options: options) } catch { throw PPCLoadError.kexecDeviceTree(error) }
        let strategy: PlacementStrategy = architecture.is64Bit ? .topDown : .bottomUp
        var trial = planner
        let treeBase: PhysicalAddress
        do {
            treeBase = try trial.place(PlacementRequest(role: .deviceTree, bytes: try nextTree.blob(loadedAt: 0),
                                                        minimum: floor, strategy: strategy))
            try planner.place(PlacementRequest(role: .deviceTree, bytes: try nextTree.blob(loadedAt: treeBase),
                                               minimum: floor, strategy: .exact(treeBase)))
        } catch let error as KexecDeviceTreeError {
            throw PPCLoadError.kexecDeviceTree(error)
        }

        // Purgatory: the digest of everything else, its symbols, relocation.
        let (regions, digest) = planner.draft(entry: 0).purgatoryDigest(excluding: [purgatoryIndex])
        guard regions.count <= PPCPurgatoryParameters.regionLimit else { throw PPCLoadError.tooManyRegions(regions.count) }
        var parameters = PPCPurgatoryParameters()
        parameters.regions = regions
        parameters.digest = digest
        parameters.options = .verify
        if architecture.is64Bit && hasHypervisorConsole(tree) {
            parameters.options.insert(.console)
            if input.purgatorySerialConsole { parameters.options.insert(.progress) }
        }
        parameters.kernelEntry = kernelBase.rawValue + kernel.entryOffset
        parameters.deviceTree = treeBase.rawValue
        parameters.kernelHead = kernelBytes.count >= PPCKernelImage.headSize ? Array(kernelBytes[0..<PPCKernelImage.headSize]) : nil
        if let backup {
            parameters.backupSource = 0
            parameters.backupDestination = backup.lowerBound.rawValue
            parameters.backupSize = backup.size
        }
        let entry: PhysicalAddress
        do {
            let image = try purgatory.image(at: purgatoryBase, patches: parameters.patches(byteOrder: architecture.byteOrder))
            try planner.replaceBytes(ofSegment: purgatoryIndex, with: image)
            entry = try purgatory.address(of: PPCPurgatory.entrySymbol, base: purgatoryBase)
        } catch let error as RelocationError {
            throw PPCLoadError.purgatory(error)
        }

        if let index = input.corruptSegmentForTesting {
            guard index < planner.segments.count, !planner.segments[index].segment.buffer.isEmpty else {
                throw PPCLoadError.corruptSegmentOutOfRange(index)
            }
            var bytes = planner.segments[index].segment.buffer
            bytes[bytes.count / 2] ^= 0xff
            try planner.replaceBytes(ofSegment: index, with: bytes)
        }
        return try planner.draft(entry: entry).validated()
    }

    /// Whether the tree says the hypervisor's virtual terminal hcalls exist
    /// ("hcall-term" in `/rtas` `ibm,hypertas-functions`): then purgatory may
    /// print through H_PUT_TERM_CHAR. Not on bare metal (OPAL), where an hcall traps.
    public static func hasHypervisorConsole(_ tree: DeviceTree) -> Bool {
        guard let functions = tree.node(at: "/rtas")?.property("ibm,hypertas-functions"),
              let names = try? functions.strings() else { return false }
        return names.contains("hcall-term")
    }
}
