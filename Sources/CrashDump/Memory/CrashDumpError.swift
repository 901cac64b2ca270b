public import ElfNotes
public import SystemPackage

/// Why a dump could not be read or written: what was wrong, and which field,
/// page frame or byte offset.
public enum CrashDumpError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A system call on `path` failed; `offset` is where a failed read or write began.
    case io(path: String, operation: String, offset: UInt64?, errno: Errno)
    /// The ELF layer refused the file.
    case elf(ElfCoreError)
    /// The input is none of the formats the reader knows.
    case unknownFormat(path: String, reason: String)
    /// `field` needs `needed` bytes at file offset `offset`; the file has `available` there.
    case truncated(field: String, offset: UInt64, needed: UInt64, available: UInt64)
    /// `field` (at file offset `offset`, when it has one) holds a value the format does not allow.
    case invalidField(field: String, offset: UInt64?, value: UInt64, reason: String)
    /// No page of the dump holds physical `address` (a hole between RAM ranges).
    case notInDump(address: UInt64)
    /// Page frame `pfn` was filtered out when the dump was written.
    case pageExcluded(pfn: UInt64)
    /// Page frame `pfn` is in the dump but cannot be decoded.
    case corruptPage(pfn: UInt64, reason: String)
    /// A kernel virtual address that the crashed kernel's page tables do not map.
    case notMapped(virtual: UInt64, reason: String)
    /// VMCOREINFO lacks `key`, which `purpose` needs.
    case missingVmcoreInfo(key: String, purpose: String)
    /// VMCOREINFO `key` holds a value that cannot be right.
    case invalidVmcoreInfo(key: String, value: String, reason: String)
    /// A kernel structure walked through the dump is inconsistent (a loop, an
    /// out-of-range index): what and where.
    case corruptKernelData(structure: String, address: UInt64, reason: String)
    /// The dump's architecture or layout is one this operation does not handle.
    case unsupported(String)

    public var description: String {
        switch self {
        case .io(let path, let operation, let offset?, let errno):
            "cannot \(operation) \(path) at byte offset \(offset): \(errno)"
        case .io(let path, let operation, nil, let errno):
            "cannot \(operation) \(path): \(errno)"
        case .elf(let error):
            "\(error)"
        case .unknownFormat(let path, let reason):
            "\(path) is not a vmcore: \(reason)"
        case .truncated(let field, let offset, let needed, let available):
            "\(field): needs \(needed) bytes at offset \(offset), the file has \(available)"
        case .invalidField(let field, let offset?, let value, let reason):
            "\(field) at offset \(offset) is 0x\(String(value, radix: 16)): \(reason)"
        case .invalidField(let field, nil, let value, let reason):
            "\(field) is 0x\(String(value, radix: 16)): \(reason)"
        case .notInDump(let address):
            "physical address 0x\(String(address, radix: 16)) is not in the dump"
        case .pageExcluded(let pfn):
            "page frame 0x\(String(pfn, radix: 16)) was excluded from the dump"
        case .corruptPage(let pfn, let reason):
            "page frame 0x\(String(pfn, radix: 16)) is corrupt: \(reason)"
        case .notMapped(let virtual, let reason):
            "virtual address 0x\(String(virtual, radix: 16)) is not mapped: \(reason)"
        case .missingVmcoreInfo(let key, let purpose):
            "VMCOREINFO has no \(key), needed for \(purpose)"
        case .invalidVmcoreInfo(let key, let value, let reason):
            "VMCOREINFO \(key)=\(value): \(reason)"
        case .corruptKernelData(let structure, let address, let reason):
            "\(structure) at 0x\(String(address, radix: 16)): \(reason)"
        case .unsupported(let what):
            "unsupported: \(what)"
        }
    }
}
