/// A small, well-formed bzImage for tests: a boot sector with a setup header of
/// protocol 2.15 and a protected-mode part of `payload` bytes. Real kernels are
/// tested in the VM tests; this one lets unit tests state exact addresses.
public enum SyntheticBzImage {
    public struct Options: Sendable {
        public var setupSectors: UInt8 = 1
        public var version: UInt16 = 0x020f
        public var loadFlags: UInt8 = 0x01
        public var kernelAlignment: UInt32 = 0x20_0000
        public var relocatable: UInt8 = 1
        public var xloadFlags: UInt16 = 0x0003
        public var commandLineSize: UInt32 = 2047
        public var preferredAddress: UInt64 = 0x100_0000
        public var initSize: UInt32 = 0x40_0000
        public var initrdAddressMax: UInt32 = 0x7fff_ffff
        public var payload: Int = 0x1_0000
        public init() {}
    }

    public static func make(_ options: Options = Options()) -> [UInt8] {
        let setup = (Int(options.setupSectors == 0 ? 4 : options.setupSectors) + 1) * 512
        var image = [UInt8](repeating: 0, count: setup + options.payload)
        func put<T: FixedWidthInteger>(_ value: T, _ offset: Int) {
            for index in 0..<MemoryLayout<T>.size where offset + index < image.count {
                image[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * index))
            }
        }
        put(options.setupSectors, 0x1f1)
        put(UInt16(0xaa55), 0x1fe)
        put(UInt8(0xeb), 0x200)
        put(UInt8(0x6a), 0x201)
        put(UInt32(0x5372_6448), 0x202)
        put(options.version, 0x206)
        put(options.loadFlags, 0x211)
        put(UInt32(0x10_0000), 0x214)
        put(options.initrdAddressMax, 0x22c)
        put(options.kernelAlignment, 0x230)
        put(options.relocatable, 0x234)
        put(UInt8(21), 0x235)
        put(options.xloadFlags, 0x236)
        put(options.commandLineSize, 0x238)
        put(options.preferredAddress, 0x258)
        put(options.initSize, 0x260)
        for index in setup..<image.count { image[index] = UInt8(truncatingIfNeeded: index &* 7) | 0x80 }
        return image
    }
}

/// A small ELF64 or ELF32 executable with the given PT_LOADs, for ELF kernel tests.
public enum SyntheticElfKernel {
    public struct Load: Sendable {
        public var physical: UInt64
        public var virtual: UInt64
        public var bytes: [UInt8]
        public var memorySize: UInt64
        public init(physical: UInt64, virtual: UInt64? = nil, bytes: [UInt8], memorySize: UInt64? = nil) {
            self.physical = physical
            self.virtual = virtual ?? physical
            self.bytes = bytes
            self.memorySize = memorySize ?? UInt64(bytes.count)
        }
    }

    public static func make(class64: Bool = true, machine: UInt16 = 62, entry: UInt64, loads: [Load]) -> [UInt8] {
        let ehsize = class64 ? 64 : 52
        let phentsize = class64 ? 56 : 32
        var out = [UInt8]()
        func put(_ value: UInt64, _ width: Int) {
            for index in 0..<width { out.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))) }
        }
        out += [0x7f, 0x45, 0x4c, 0x46, class64 ? 2 : 1, 1, 1, 0] + [UInt8](repeating: 0, count: 8)
        put(2, 2); put(UInt64(machine), 2); put(1, 4)
        let word = class64 ? 8 : 4
        let dataStart = ehsize + phentsize * loads.count
        put(entry, word); put(UInt64(ehsize), word); put(0, word)
        put(0, 4); put(UInt64(ehsize), 2); put(UInt64(phentsize), 2); put(UInt64(loads.count), 2)
        put(class64 ? 64 : 40, 2); put(0, 2); put(0, 2)
        var offset = UInt64(dataStart)
        for load in loads {
            if class64 {
                put(1, 4); put(7, 4); put(offset, 8); put(load.virtual, 8); put(load.physical, 8)
                put(UInt64(load.bytes.count), 8); put(load.memorySize, 8); put(0x1000, 8)
            } else {
                put(1, 4); put(offset, 4); put(load.virtual, 4); put(load.physical, 4)
                put(UInt64(load.bytes.count), 4); put(load.memorySize, 4); put(7, 4); put(0x1000, 4)
            }
            offset += UInt64(load.bytes.count)
        }
        for load in loads { out += load.bytes }
        return out
    }
}
