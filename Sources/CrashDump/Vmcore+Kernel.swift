public import ElfNotes
import KexecCore

extension Vmcore {
    /// The crashed kernel's virtual address space, translated with its own page
    /// tables (x86_64 4- and 5-level, i386 PAE and non-PAE) from VMCOREINFO.
    /// - Parameter verify: check the kernel-text and direct-map shortcuts against
    ///   a page-table walk (a dump that lacks the page-table pages fails this).
    /// - Throws: ``CrashDumpError/missingVmcoreInfo(key:purpose:)`` without
    ///   VMCOREINFO, ``CrashDumpError/unsupported(_:)`` for other architectures,
    ///   or what the translators throw.
    public func kernelMemory(verify: Bool = true) throws(CrashDumpError) -> any KernelMemory {
        guard let vmcoreInfo else {
            throw .missingVmcoreInfo(key: "the VMCOREINFO note", purpose: "kernel virtual addresses")
        }
        switch architecture {
        case .x86_64?:
            let base = elfCore.flatMap { X86_64KernelMemory.directMapBase(fromLoads: $0.loads) }
            return try X86_64KernelMemory(physical: memory, vmcoreInfo: vmcoreInfo, directMapBase: base, verify: verify)
        case .i386?:
            let offset = elfCore.flatMap { I386KernelMemory.pageOffset(fromLoads: $0.loads) } ?? 0xc000_0000
            return try I386KernelMemory(physical: memory, vmcoreInfo: vmcoreInfo, pageOffset: offset)
        default:
            throw .unsupported("kernel address translation for \(architecture.map { "\($0)" } ?? "an unknown machine")")
        }
    }

    /// The crashed kernel's log (`vmcore-dump dmesg`), from VMCOREINFO alone.
    ///
    /// When the page tables cannot be checked (a dump cut down to a few pages),
    /// the kernel-text and direct-map shortcuts are used unchecked.
    /// - Throws: ``CrashDumpError``.
    public func kernelLog() throws(CrashDumpError) -> KernelLog {
        guard let vmcoreInfo else {
            throw .missingVmcoreInfo(key: "the VMCOREINFO note", purpose: "the kernel log")
        }
        let kernel: any KernelMemory
        do {
            kernel = try kernelMemory(verify: true)
        } catch {
            kernel = try kernelMemory(verify: false)
        }
        if let architecture {
            return try KernelLog.read(from: kernel, vmcoreInfo: vmcoreInfo, architecture: architecture)
        }
        return try KernelLog.read(from: kernel, vmcoreInfo: vmcoreInfo, byteOrder: byteOrder,
                                  pointerSize: elfCore?.elfClass == .elf32 ? 4 : 8)
    }
}
