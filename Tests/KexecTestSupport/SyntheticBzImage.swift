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
