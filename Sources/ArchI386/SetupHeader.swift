import KexecCore

/// The x86 boot protocol's setup header of a bzImage (arch/x86/include/uapi/asm/bootparam.h),
/// parsed and checked. Offsets are file offsets, which equal zero-page offsets.
public struct SetupHeader: Hashable, Sendable {
    /// 0x1F1: sectors of real-mode setup code after the boot sector (0 means 4).
    public var setupSectors: UInt8
    /// 0x206: boot protocol version, e.g. 0x020F.
    public var version: UInt16
    /// 0x211: LOADED_HIGH 0x1, KASLR 0x2, QUIET 0x20, KEEP_SEGMENTS 0x40, CAN_USE_HEAP 0x80.
    public var loadFlags: UInt8
    /// 0x214: the 32-bit entry's default address.
    public var code32Start: UInt32
    /// 0x22C: the highest address an initrd may end at (protocol 2.03+; 0x37FFFFFF before).
    public var initrdAddressMax: UInt32
    /// 0x230: physical alignment a relocatable kernel needs (2.05+).
    public var kernelAlignment: UInt32
    /// 0x234: whether the kernel may be loaded anywhere (2.05+).
    public var relocatable: Bool
    /// 0x235: the minimum alignment as a power of two (2.10+).
    public var minimumAlignmentShift: UInt8
    /// 0x236: KERNEL_64 0x1, CAN_BE_LOADED_ABOVE_4G 0x2, EFI handover 0x4/0x8, EFI_KEXEC 0x10, 5LEVEL 0x20 (2.12+).
    public var xloadFlags: UInt16
    /// 0x238: the longest command line without its NUL (2.06+; 255 before).
    public var commandLineSize: UInt32
    /// 0x258: where the kernel prefers to be loaded (2.10+).
    public var preferredAddress: UInt64
    /// 0x260: memory the kernel needs from its load address while it initialises (2.10+).
    public var initSize: UInt32
    /// 0x201: the jump at 0x200; 0x202 + this byte is the end of the header.
    public var headerEnd: Int

    /// The file offset of the protected-mode kernel: (setup_sects + 1) * 512.
    public var protectedModeOffset: Int { (Int(setupSectors == 0 ? 4 : setupSectors) + 1) * 512 }
    /// Whether the kernel has a 64-bit entry point at load address + 0x200.
    public var has64BitEntry: Bool { xloadFlags & 0x1 != 0 }
    /// Whether the kernel may be placed above 4 GiB.
    public var canBeLoadedAbove4G: Bool { xloadFlags & 0x2 != 0 }
    /// Whether the protected-mode kernel loads at 1 MiB or above (bzImage).
    public var loadsHigh: Bool { loadFlags & 0x1 != 0 }
}

/// A bzImage that cannot be loaded, and why.
public enum BzImageError: Error, Hashable, Sendable, CustomStringConvertible {
    case truncated(field: String, offset: Int, fileSize: Int)
    case badBootFlag(UInt16)
    case badHeaderMagic(UInt32)
    case protocolTooOld(version: UInt16, minimum: UInt16)
    case setupSectorsBeyondFile(setupSectors: UInt8, offset: Int, fileSize: Int)
    case notLoadedHigh
    case no64BitEntry
    case notRelocatable
    case commandLineTooLong(length: Int, limit: UInt32)
    case initSizeTooSmall(initSize: UInt32, imageSize: Int)
    case badKernelAlignment(UInt32)

    public var description: String {
        switch self {
        case .truncated(let field, let offset, let size):
            "truncated bzImage: \(field) at offset 0x\(String(offset, radix: 16)) lies past the end of the \(size)-byte file"
        case .badBootFlag(let value):
            "not a bzImage: boot_flag at 0x1FE is 0x\(String(value, radix: 16)), expected 0xAA55"
        case .badHeaderMagic(let value):
            "not a bzImage: header magic at 0x202 is 0x\(String(value, radix: 16)), expected \"HdrS\" (0x53726448)"
        case .protocolTooOld(let version, let minimum):
            "boot protocol \(Self.version(version)) is older than \(Self.version(minimum)), which this loader needs"
        case .setupSectorsBeyondFile(let sectors, let offset, let size):
            "setup_sects \(sectors) puts the protected-mode kernel at 0x\(String(offset, radix: 16)), past the \(size)-byte file"
        case .notLoadedHigh:
            "loadflags lacks LOADED_HIGH: a zImage, which kexec cannot boot"
        case .no64BitEntry:
            "xloadflags lacks XLF_KERNEL_64: the kernel has no 64-bit entry point"
        case .notRelocatable:
            "the kernel is not relocatable (relocatable_kernel = 0), which a crash kernel must be"
        case .commandLineTooLong(let length, let limit):
            "the command line is \(length) bytes, longer than the kernel's cmdline_size \(limit)"
        case .initSizeTooSmall(let initSize, let imageSize):
            "init_size 0x\(String(initSize, radix: 16)) is smaller than the \(imageSize)-byte protected-mode image"
        case .badKernelAlignment(let value):
            "kernel_alignment 0x\(String(value, radix: 16)) is not a power of two"
        }
    }

    static func version(_ value: UInt16) -> String {
        let minor = value & 0xff
        return "\(value >> 8).\(minor < 10 ? "0" : "")\(minor)"
    }
}

extension SetupHeader {
    /// The oldest boot protocol this loader accepts: 2.02 (cmd_line_ptr).
    public static let minimumVersion: UInt16 = 0x0202

    /// Parses and checks the setup header of `image` (a whole bzImage file).
    /// - Throws: ``BzImageError`` naming the field.
    public init(parsing image: [UInt8]) throws(BzImageError) {
        let reader = ByteReader(image, byteOrder: .little)
        func field<T: FixedWidthInteger>(_ type: T.Type, _ offset: Int, _ name: String) throws(BzImageError) -> T {
            do { return try reader.peek(type, at: offset, field: name) } catch {
                throw .truncated(field: name, offset: offset, fileSize: image.count)
            }
        }
        let bootFlag = try field(UInt16.self, 0x1fe, "boot_flag")
        guard bootFlag == 0xaa55 else { throw .badBootFlag(bootFlag) }
        let magic = try field(UInt32.self, 0x202, "header")
        guard magic == 0x5372_6448 else { throw .badHeaderMagic(magic) }
        version = try field(UInt16.self, 0x206, "version")
        guard version >= Self.minimumVersion else { throw .protocolTooOld(version: version, minimum: Self.minimumVersion) }
        setupSectors = try field(UInt8.self, 0x1f1, "setup_sects")
        headerEnd = 0x202 + Int(try field(UInt8.self, 0x201, "jump"))
        loadFlags = try field(UInt8.self, 0x211, "loadflags")
        code32Start = try field(UInt32.self, 0x214, "code32_start")
        initrdAddressMax = version >= 0x0203 ? try field(UInt32.self, 0x22c, "initrd_addr_max") : 0x37ff_ffff
        kernelAlignment = version >= 0x0205 ? try field(UInt32.self, 0x230, "kernel_alignment") : 0x10_0000
        relocatable = version >= 0x0205 ? try field(UInt8.self, 0x234, "relocatable_kernel") != 0 : false
        minimumAlignmentShift = version >= 0x020a ? try field(UInt8.self, 0x235, "min_alignment") : 0
        xloadFlags = version >= 0x020c ? try field(UInt16.self, 0x236, "xloadflags") : 0
        commandLineSize = version >= 0x0206 ? try field(UInt32.self, 0x238, "cmdline_size") : 255
        preferredAddress = version >= 0x020a ? try field(UInt64.self, 0x258, "pref_address") : 0x10_0000
        initSize = version >= 0x020a ? try field(UInt32.self, 0x260, "init_size") : 0
        guard kernelAlignment != 0, kernelAlignment & (kernelAlignment - 1) == 0 else {
            throw .badKernelAlignment(kernelAlignment)
        }
        guard headerEnd <= image.count else { throw .truncated(field: "setup header end (0x202 + jump)", offset: headerEnd, fileSize: image.count) }
        guard protectedModeOffset < image.count else {
            throw .setupSectorsBeyondFile(setupSectors: setupSectors, offset: protectedModeOffset, fileSize: image.count)
        }
        guard loadsHigh else { throw .notLoadedHigh }
        let imageSize = image.count - protectedModeOffset
        if version >= 0x020a, Int(initSize) < imageSize { throw .initSizeTooSmall(initSize: initSize, imageSize: imageSize) }
    }

    /// Whether `image` looks like a bzImage at all (kexec-tools' probe: length,
    /// 0xAA55, "HdrS"); the loaders then parse it in full.
    public static func probe(_ image: [UInt8]) -> Bool {
        image.count >= 1024 && image[0x1fe] == 0x55 && image[0x1ff] == 0xaa
            && image[0x202] == 0x48 && image[0x203] == 0x64 && image[0x204] == 0x72 && image[0x205] == 0x53
    }
}
