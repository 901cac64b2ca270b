import SystemPackage
@testable import KexecCore

/// Locates committed fixtures relative to this source file.
enum Fixtures {
    static let directory = FilePath(#filePath).removingLastComponent().appending("Fixtures")

    static func iomem(_ name: String) throws -> IOMem {
        try IOMem.read(from: directory.appending("iomem").appending(name + ".txt"))
    }

    static func iomemText(_ name: String) throws -> String {
        try FileReader.readText(directory.appending("iomem").appending(name + ".txt"))
    }

    static func memmap(_ name: String) throws -> FirmwareMemoryMap {
        try FirmwareMemoryMap.read(directory: directory.appending("memmap").appending(name))
    }
}

let MiB: UInt64 = 1 << 20
let GiB: UInt64 = 1 << 30
