public import ElfNotes
public import KexecCore

/// A PowerPC ELF kernel (vmlinux) as one loadable block: every PT_LOAD at its
/// offset from the lowest physical address (gaps zero), entered at `e_entry`'s
/// offset in that block. One type for ELF64 and ELF32 in either byte order.
///
/// kexec-tools (kexec-elf-ppc64.c, kexec-elf-ppc.c) loads the first PT_LOAD at
/// a free address and enters it at its start; a ppc vmlinux has one PT_LOAD
/// whose start is `_stext` = `e_entry`, so this is the same for real kernels and
/// also keeps any further PT_LOADs in place relative to the first.
public struct PPCKernelImage: Hashable, Sendable {
    /// The kernel's ELF class.
    public let elfClass: ElfClass
    /// The kernel's byte order (which need not be the running kernel's).
    public let byteOrder: ByteOrder
    /// `e_machine`.
    public let machine: UInt16
    /// The lowest PT_LOAD physical address: where the image is linked to run
    /// (0 for Linux on ppc64 and ppc32), and where it copies itself unless it
    /// runs at its load address.
    public let linkAddress: UInt64
    /// The file bytes of the block (up to the end of the last PT_LOAD's file part).
    public let bytes: [UInt8]
    /// The memory the block occupies, bss included.
    public let memorySize: UInt64
    /// `e_entry` as an offset into the block.
    public let entryOffset: UInt64

    /// The largest span of PT_LOAD segments accepted (1 GiB): more cannot fit an RMA.
    public static let maximumSpan: UInt64 = 1 << 30
    /// `__run_at_load`'s offset: the kernel reads it to decide whether to copy
    /// itself to its link address (any value but 1) or run where it was loaded.
    public static let runAtLoadOffset = 0x5c
    /// `KERNEL_RUN_AT_ZERO_MAGIC`, "run0": a relocatable kernel's default.
    public static let runAtZeroMagic: UInt32 = 0x7275_6e30
    /// How many head bytes the secondary CPUs execute from address 0.
    public static let headSize = 0x100

    /// Reads the kernel.
    /// - Parameters:
    ///   - bytes: the vmlinux file.
    ///   - elfClass: the class the loader takes (ELF64 for ppc64, ELF32 for ppc).
    ///   - machine: EM_PPC64 (21) or EM_PPC (20).
    /// - Throws: ``PPCLoadError``.
    public init(parsing bytes: [UInt8], elfClass expectedClass: ElfClass, machine expectedMachine: UInt16) throws(PPCLoadError) {
        let elf: ElfObject
        do { elf = try ElfObject(parsing: bytes) } catch { throw .elf(error) }
        guard elf.type == 2 || elf.type == 3 else { throw .notExecutable(type: elf.type) }
        guard elf.machine == expectedMachine else { throw .wrongMachine(elf.machine, expected: expectedMachine) }
        guard elf.elfClass == expectedClass else { throw .wrongClass(elf.elfClass, expected: expectedClass) }
        let loads = elf.programHeaders.filter { $0.isLoadable && $0.memorySize > 0 }
        guard !loads.isEmpty else { throw .noLoadableSegments }

        // Extents, overlap and span, all overflow-checked.
        var ends: [UInt64] = []
        for load in loads {
            let (end, overflow) = load.physicalAddress.addingReportingOverflow(load.memorySize)
            guard !overflow else { throw .imageTooLarge(span: UInt64.max, limit: Self.maximumSpan) }
            ends.append(end)
        }
        let order = loads.indices.sorted { loads[$0].physicalAddress < loads[$1].physicalAddress }
        for (previous, next) in zip(order, order.dropFirst()) where ends[previous] > loads[next].physicalAddress {
            throw .segmentsOverlap(first: loads[min(previous, next)].index, second: loads[max(previous, next)].index)
        }
        let low = loads[order[0]].physicalAddress
        let high = ends.max() ?? low
        guard high - low <= Self.maximumSpan else { throw .imageTooLarge(span: high - low, limit: Self.maximumSpan) }

        var block: [UInt8] = []
        for index in order {
            let load = loads[index]
            let offset = Int(load.physicalAddress - low)
            let contents = elf.contents(of: load)
            guard !contents.isEmpty else { continue }
            if block.count < offset { block += repeatElement(0, count: offset - block.count) }
            block.replaceSubrange(offset..<min(block.count, offset + contents.count), with: contents)
        }

        // e_entry: virtual (vmlinux) or physical, inside one PT_LOAD.
        let entry = elf.entry
        let holder = loads.first { entry >= $0.virtualAddress && entry - $0.virtualAddress < $0.memorySize }
            ?? loads.first { entry >= $0.physicalAddress && entry - $0.physicalAddress < $0.memorySize }
        guard let holder else { throw .entryOutsideSegments(entry) }
        let inside = entry >= holder.virtualAddress && entry - holder.virtualAddress < holder.memorySize
            ? entry - holder.virtualAddress : entry - holder.physicalAddress

        elfClass = elf.elfClass
        byteOrder = elf.byteOrder
        machine = elf.machine
        linkAddress = low
        self.bytes = block
        memorySize = high - low
        entryOffset = holder.physicalAddress - low + inside
    }

    /// The first 0x100 bytes, or `nil` when the file part is shorter.
    public var head: [UInt8]? {
        bytes.count >= Self.headSize ? Array(bytes[0..<Self.headSize]) : nil
    }

    /// The `__run_at_load` word at offset 0x5c, in the kernel's byte order.
    public var runAtLoad: UInt32? {
        try? ByteReader(bytes, byteOrder: byteOrder).peek(UInt32.self, at: Self.runAtLoadOffset, field: "__run_at_load")
    }

    /// The block with `__run_at_load` set to 1, so a relocatable kernel runs
    /// where it is loaded (kdump), as kexec-tools' purgatory arranges.
    /// - Throws: ``PPCLoadError/crashKernelNotRelocatable(runAtLoad:)`` unless the
    ///   word is "run0" or already 1.
    public func bytesRunningAtLoadAddress() throws(PPCLoadError) -> [UInt8] {
        guard let word = runAtLoad, word == Self.runAtZeroMagic || word == 1 else {
            throw .crashKernelNotRelocatable(runAtLoad: runAtLoad)
        }
        var writer = ByteWriter(byteOrder: byteOrder)
        writer.write(UInt32(1))
        var result = bytes
        result.replaceSubrange(Self.runAtLoadOffset..<Self.runAtLoadOffset + 4, with: writer.bytes)
        return result
    }
}
