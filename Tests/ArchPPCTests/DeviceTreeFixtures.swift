import Foundation
@testable import ArchPPC

/// Committed device tree fixtures and the dtc judge.
///
/// The qemu blobs come from `qemu-system-ppc64 -M pseries,dumpdtb=FILE` (qemu 7.2):
/// `pseries-1g` (-m 1G), `pseries-2g-smp4` (-m 2G -smp 4), `pseries-numa` (-m 1G
/// -smp 2, two NUMA nodes of 512M), and `powernv` (-M powernv -m 1G). They hold a
/// random `rng-seed`; nothing depends on its value. `running-pseries.dtb` is
/// `dtc -I dts -O dtb running-pseries.dts` (dtc 1.6.1).
enum PPCFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let qemuBlobs = ["pseries-1g", "pseries-2g-smp4", "pseries-numa", "powernv"]
    static let dtcBlobs = ["running-pseries"]

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    static func blob(_ name: String) throws -> [UInt8] { try bytes(name + ".dtb") }

    static func tree(_ name: String) throws -> DeviceTree { try DeviceTree(parsingBlob: try blob(name)) }
}

/// Runs dtc (Debian's device-tree-compiler) on bytes; the independent judge of
/// what the writer produces.
enum DTC {
    struct Result {
        var status: Int32
        var output: [UInt8]
        var errors: String
        var text: String { String(decoding: output, as: UTF8.self) }
    }

    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/dtc") }

    /// `dtc ARGS FILE` with `input` written to a temporary file.
    static func run(_ arguments: [String], input: [UInt8]) throws -> Result {
        let inputURL = FileManager.default.temporaryDirectory.appendingPathComponent("dtc-in-\(UUID().uuidString)")
        let outputURL = FileManager.default.temporaryDirectory.appendingPathComponent("dtc-out-\(UUID().uuidString)")
        let errorURL = FileManager.default.temporaryDirectory.appendingPathComponent("dtc-err-\(UUID().uuidString)")
        defer {
            for url in [inputURL, outputURL, errorURL] { try? FileManager.default.removeItem(at: url) }
        }
        try Data(input).write(to: inputURL)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/dtc")
        process.arguments = arguments + ["-o", outputURL.path, inputURL.path]
        process.standardError = try FileHandle(forWritingTo: errorURL)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let output = (try? Data(contentsOf: outputURL)).map(Array.init) ?? []
        let errors = (try? String(contentsOf: errorURL, encoding: .utf8)) ?? ""
        return Result(status: process.terminationStatus, output: output, errors: errors)
    }

    /// `dtc -I dtb -O dts`: the blob as dts text, or the failure.
    static func decompile(_ blob: [UInt8]) throws -> Result {
        try run(["-q", "-I", "dtb", "-O", "dts"], input: blob)
    }

    /// `dtc -I dtb -O dtb`: dtc's own rewrite of a blob.
    static func recompile(_ blob: [UInt8]) throws -> Result {
        try run(["-q", "-I", "dtb", "-O", "dtb"], input: blob)
    }

    /// `dtc -I dts -O dtb` of source text.
    static func compile(_ source: String) throws -> Result {
        try run(["-q", "-I", "dts", "-O", "dtb"], input: Array(source.utf8))
    }
}
