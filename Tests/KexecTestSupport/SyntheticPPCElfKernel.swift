import Foundation

/// Small PowerPC ELF "kernels" built at test time by the toolchain's clang and
/// ld.lld, shaped like a vmlinux: linked at the kernel base (0xc000000000000000
/// for ppc64, 0xc0000000 for ppc32) with physical addresses from 0 (`AT(0)`),
/// `e_entry` = `_stext` = the first byte, a head whose word at 0x5c is the
/// "run0" `__run_at_load` magic and whose code at 0x60 is a secondary-CPU spin
/// loop, then text, data and bss.
public enum SyntheticPPCElfKernel {
    /// The three PowerPC targets.
    public enum Target: String, Sendable, CaseIterable {
        case ppc64le = "powerpc64le-linux-gnu"
        case ppc64 = "powerpc64-linux-gnu"
        case ppc32 = "powerpc-linux-gnu"

        /// Whether the target is big-endian.
        public var isBigEndian: Bool { self != .ppc64le }
        /// Whether the target is 64-bit.
        public var is64Bit: Bool { self != .ppc32 }
        /// The virtual address of physical 0 in the kernel's link map.
        public var kernelBase: UInt64 { is64Bit ? 0xc000_0000_0000_0000 : 0xc000_0000 }
    }

    /// What went wrong building a kernel.
    public struct BuildError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The toolchain's directory (clang and ld.lld), or `nil`.
    public static var toolchain: String? {
        for directory in ["/opt/swift/usr/bin", "/usr/bin"]
        where FileManager.default.isExecutableFile(atPath: directory + "/clang")
            && FileManager.default.isExecutableFile(atPath: directory + "/ld.lld") {
            return directory
        }
        return nil
    }

    /// Builds a kernel.
    /// - Parameters:
    ///   - target: the ELF flavour.
    ///   - textBytes: bytes of text after the 0x100-byte head (a branch-to-self, then fill).
    ///   - dataBytes: bytes of initialised data (a recognisable pattern).
    ///   - bssBytes: zero-initialised memory after the data (memsz > filesz).
    ///   - runAtLoad: the head word at 0x5c ("run0" by default).
    ///   - entryOffset: `e_entry` relative to `_stext` (0 like a real vmlinux).
    /// - Throws: ``BuildError`` when the toolchain is missing or fails.
    public static func build(_ target: Target, textBytes: Int = 0x3000, dataBytes: Int = 0x1800, bssBytes: Int = 0x20000,
                             runAtLoad: UInt32 = 0x7275_6e30, entryOffset: Int = 0) throws -> [UInt8] {
        guard let tools = toolchain else { throw BuildError(description: "clang and ld.lld not found") }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ppc-kernel-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = """
            \t.section .head.text, "ax", @progbits
            \t.globl _stext
            _stext:
            \tb 1f
            \t.org _stext + 0x5c
            __run_at_load:
            \t.long 0x\(String(runAtLoad, radix: 16))
            \t.org _stext + 0x60
            __secondary_hold:
            \tb __secondary_hold
            \t.org _stext + 0x100
            1:\tb 1b
            \t.globl kernel_entry_point
            \t.set kernel_entry_point, _stext + \(entryOffset)
            \t.text
            \t.fill \(textBytes), 1, 0x60
            \t.data
            \t.fill \(dataBytes), 1, 0xd5
            \t.bss
            \t.skip \(bssBytes)
            """
        let script = """
            ENTRY(kernel_entry_point)
            SECTIONS {
              . = 0x\(String(target.kernelBase, radix: 16));
              .head.text : AT(0) { *(.head.text) }
              .text : { *(.text) }
              .data : { *(.data) }
              .bss : { *(.bss) }
              /DISCARD/ : { *(.note.GNU-stack) *(.comment) }
            }
            """
        let sourceURL = directory.appendingPathComponent("head.S")
        let scriptURL = directory.appendingPathComponent("kernel.lds")
        let objectURL = directory.appendingPathComponent("head.o")
        let outputURL = directory.appendingPathComponent("vmlinux")
        try source.write(to: sourceURL, atomically: true, encoding: .utf8)
        try script.write(to: scriptURL, atomically: true, encoding: .utf8)
        try run(tools + "/clang", ["--target=\(target.rawValue)", "-c", sourceURL.path, "-o", objectURL.path])
        try run(tools + "/ld.lld", ["-static", "-nostdlib", "--no-dynamic-linker", "-T", scriptURL.path,
                                    "-o", outputURL.path, objectURL.path])
        return Array(try Data(contentsOf: outputURL))
    }

    static func run(_ tool: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BuildError(description: "\(tool) \(arguments.joined(separator: " ")): \(message)")
        }
    }
}
